using System.Diagnostics;

namespace Zvonim.Tests.Web;

/// <summary>A system command a test's setup runs to its end (<c>ip</c>, <c>chrt</c>); one that fails throws with its
/// error output.</summary>
public static class Command
{
    public static async Task RunAsync(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in command.Skip(1)) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', command)} failed: {error}");
    }
}
