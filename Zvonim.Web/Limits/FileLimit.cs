using System.Runtime.InteropServices;

namespace Zvonim.Web.Limits;

/// <summary>
/// The process's open-file limit (every socket is a file). At start the soft limit is raised to the hard one, and
/// Kestrel's connection caps are derived from it with headroom, so that a flood of connections is refused at the door
/// instead of running the process out of descriptors (where accept loops spin and new threads cannot start).
/// </summary>
public static partial class FileLimit
{
    private const int RlimitNofile = 7; // Linux

    /// <summary>Descriptors kept for everything that is not a client connection: logs, timers, the runtime's own.</summary>
    public const int Headroom = 512;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);

    /// <summary>Raises the soft limit to the hard one where it can; returns the soft limit now in force, or null where
    /// there is no such limit to read (not Linux).</summary>
    public static long? RaiseToHard()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            if (getrlimit(RlimitNofile, out var limit) != 0) return null;
            if (limit.Current < limit.Max)
            {
                var raised = limit with { Current = limit.Max };
                if (setrlimit(RlimitNofile, raised) == 0) limit = raised;
            }
            return (long)Math.Min(limit.Current, int.MaxValue);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>(connections, upgraded connections) Kestrel may hold with <paramref name="files"/> descriptors. Kestrel
    /// counts a connection against the second cap once it is a WebSocket and no longer against the first, so together
    /// they must fit the budget: half each (browsers keep idle HTTP connections open beside their sockets).</summary>
    public static (long Connections, long Upgraded) Caps(long files)
    {
        var budget = Math.Max(64, files - Headroom);
        return (budget / 2, budget - budget / 2);
    }
}
