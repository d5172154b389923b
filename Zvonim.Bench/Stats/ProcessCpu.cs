using System.Diagnostics;

namespace Zvonim.Bench.Stats;

/// <summary>CPU time used by the server and by this generator over a measured window, and the window's length: CPU
/// seconds over wall seconds are cores (1.0 = one core busy). On this 2-core machine the two share the cores, so
/// these say which side a figure is limited by.</summary>
public sealed class ProcessCpu
{
    private readonly int? _serverPid;
    private readonly TimeSpan _server;
    private readonly TimeSpan _self;
    private readonly long _start = Stopwatch.GetTimestamp();

    private ProcessCpu(int? serverPid)
    {
        _serverPid = serverPid == Environment.ProcessId ? null : serverPid;
        _server = Read(_serverPid) ?? TimeSpan.Zero;
        _self = Read(Environment.ProcessId) ?? TimeSpan.Zero;
    }

    public static ProcessCpu Start(int? serverPid) => new(serverPid);

    /// <summary>Since <see cref="Start"/>: the server's CPU seconds (null when unknown or the same process), the
    /// generator's, and the wall seconds they were spent in.</summary>
    public CpuUsage Stop()
    {
        var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        double? server = _serverPid is null || Read(_serverPid) is not { } s ? null : (s - _server).TotalSeconds;
        var self = ((Read(Environment.ProcessId) ?? _self) - _self).TotalSeconds;
        return new CpuUsage(server, self, seconds);
    }

    /// <summary>The machine's load average (1, 5, 15 min) from /proc/loadavg: anything else running skews every figure.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static TimeSpan? Read(int? pid)
    {
        if (pid is null) return null;
        try
        {
            using var process = Process.GetProcessById(pid.Value);
            return process.TotalProcessorTime;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>CPU seconds spent by the server (null when unknown) and by the generator in <see cref="Seconds"/> of wall time.</summary>
public readonly record struct CpuUsage(double? ServerSeconds, double GeneratorSeconds, double Seconds)
{
    public double GeneratorCores => GeneratorSeconds / Seconds;
}
