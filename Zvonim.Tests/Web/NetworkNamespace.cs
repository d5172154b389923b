using System.Diagnostics;

namespace Zvonim.Tests.Web;

/// <summary>
/// A network namespace of the test's own (<c>ip netns</c>, which needs root, as CI runs) with only <c>lo</c> up: a
/// server and a browser started in it talk over its loopback, and no packet can leave the machine. Removed on dispose.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    public static async Task<NetworkNamespace> CreateAsync()
    {
        var space = new NetworkNamespace("zvonim-" + Guid.NewGuid().ToString("N")[..8]);
        await Command.RunAsync("ip", "netns", "add", space.Name);
        await Command.RunAsync("ip", "netns", "exec", space.Name, "ip", "link", "set", "lo", "up");
        return space;
    }

    /// <summary>An executable that starts Debian's Chromium inside the namespace, for Playwright to launch.</summary>
    public string ChromiumLauncher()
    {
        var path = Path.Combine(Path.GetTempPath(), $"{Name}-chromium.sh");
        File.WriteAllText(path, $"#!/bin/sh\nexec ip netns exec {Name} {Browser.ChromiumFixture.ExecutablePath} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        File.Delete(Path.Combine(Path.GetTempPath(), $"{Name}-chromium.sh"));
        await Command.RunAsync("ip", "netns", "del", Name);
    }
}
