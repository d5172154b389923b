using System.Runtime.InteropServices;

namespace Zvonim.Web.Hosting;

/// <summary>
/// Linux's batch scheduling policy (<c>SCHED_BATCH</c>) for the threads of this process. Under the normal policy a
/// thread that wakes preempts the one running: on one CPU the socket engine's thread, woken for each socket event,
/// preempted the pool worker that was running the application about ten times per call setup, two context switches
/// each. A batch thread that wakes waits until the running one blocks or has used its slice, and then finds several
/// events at once. It keeps its share of the CPU (the same weight as before; only the preemption on waking goes), and
/// on a CPU with nothing running it runs at once, as before. Measured per call setup in docs/benchmarks.md.
/// </summary>
public static partial class BatchScheduling
{
    public const int Normal = 0; // SCHED_OTHER
    public const int Batch = 3; // SCHED_BATCH

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority; // 0: the only value the normal and batch policies take
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, in SchedParam param);

    /// <summary>Puts every thread the process has now under the batch policy; the threads made later inherit it from
    /// the thread that makes them, so this runs first thing. A process an operator started under another policy
    /// (<c>chrt</c>, systemd's <c>CPUSchedulingPolicy=</c>) is left as it is.</summary>
    /// <returns>The threads moved; null where it does not apply (not Linux, or not under the normal policy).</returns>
    public static int? Apply()
    {
        if (!OperatingSystem.IsLinux() || Policy() != Normal) return null;
        _applied = true;
        var moved = 0;
        foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
        {
            // A thread that ended since the listing fails with ESRCH; nothing else can fail when lowering to batch.
            if (int.TryParse(Path.GetFileName(thread), out var tid) && sched_setscheduler(tid, Batch, new SchedParam()) == 0) moved++;
        }
        return moved;
    }

    /// <summary>Puts the calling thread back under the normal policy, where <see cref="Apply"/> moved the process: for
    /// a thread whose wake-ups must not wait for the running thread's slice to end. The media forwarder's packet thread
    /// is one (a packet held a few milliseconds is heard).</summary>
    public static void ExemptCallingThread()
    {
        if (_applied && Policy() == Batch) sched_setscheduler(0, Normal, new SchedParam());
    }

    private static volatile bool _applied;

    /// <summary>The calling thread's policy (0 normal, 3 batch, ...); null where there is no such thing (not Linux).</summary>
    public static int? Policy()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var policy = sched_getscheduler(0);
            return policy < 0 ? null : policy & 0xff; // without SCHED_RESET_ON_FORK's flag
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>How a start line names <paramref name="policy"/>.</summary>
    public static string Describe(int? policy) => policy switch
    {
        Normal => "normal",
        Batch => "batch",
        null => "unknown",
        _ => $"policy {policy} (set outside Zvonim)",
    };
}
