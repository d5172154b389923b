using System.Diagnostics;

namespace Zvonim.Bench.Servers;

/// <summary>
/// --pin: the server under test on one core (started under <c>taskset -c</c>) and this generator on another, so a
/// figure per server core is one core's work, not whatever share of the machine the scheduler gave it, and the
/// generator cannot steal the server's core. Linux only (taskset, sched_setaffinity).
/// </summary>
public static class CorePinning
{
    /// <summary>The core the server runs on with --pin.</summary>
    public const int ServerCore = 0;

    /// <summary>The core this generator runs on with --pin.</summary>
    public const int GeneratorCore = 1;

    /// <summary><paramref name="program"/> <paramref name="args"/> as run by <c>taskset -c core</c>.</summary>
    public static (string Program, string[] Args) Taskset(int core, string program, string[] args) =>
        ("taskset", ["-c", core.ToString(System.Globalization.CultureInfo.InvariantCulture), program, .. args]);

    /// <summary>Pins this process (every thread; threads started later inherit it) to <see cref="GeneratorCore"/>
    /// until disposed, then gives back the cores it had. <c>taskset -a -p</c>, not Process.ProcessorAffinity: on Linux
    /// the latter sets only the main thread's. The runtime sized its thread pool for the cores it saw at start; with
    /// one core it simply queues more.</summary>
    public static IDisposable PinGenerator()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("--pin needs Linux (taskset).");
        if (Environment.ProcessorCount < 2) throw new ArgumentException("--pin needs at least 2 cores: one for the server, one for the generator.");
        var all = $"0-{Environment.ProcessorCount - 1}";
        RunTaskset("-a", "-c", "-p", GeneratorCore.ToString(System.Globalization.CultureInfo.InvariantCulture), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new Restore(all);
    }

    /// <summary>Moves one thread of this process (its native id) to <paramref name="core"/>; the others stay put.</summary>
    public static void PinThread(int tid, int core)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("--pin needs Linux (taskset).");
        RunTaskset("-c", "-p", core.ToString(System.Globalization.CultureInfo.InvariantCulture), tid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary><c>taskset -a</c> walks the process's threads one by one: a thread that ends meanwhile fails the call,
    /// so it is tried again (a handful of times) rather than fail a run that has already measured.</summary>
    private static void RunTaskset(params string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                RunTasksetOnce(args);
                return;
            }
            catch (InvalidOperationException ex) when (attempt < 5 && ex.Message.Contains("No such process", StringComparison.Ordinal))
            {
            }
        }
    }

    private static void RunTasksetOnce(string[] args)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start taskset.");
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"taskset {string.Join(' ', args)} failed: {error}");
    }

    private sealed class Restore(string cores) : IDisposable
    {
        public void Dispose() =>
            RunTaskset("-a", "-c", "-p", cores, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
