using System.Collections.Concurrent;
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

    /// <summary>How often the threads are gone over again: a thread made by an exempt thread inherits the normal
    /// policy (a pool worker the packet thread asked for, say).</summary>
    public static readonly TimeSpan Resweep = TimeSpan.FromSeconds(2);

    private static readonly ConcurrentDictionary<int, byte> Exempt = new();
    private static volatile bool _applied;
    private static Timer? _resweep; // held here so that it is not collected

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority; // 0: the only value the normal and batch policies take
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, in SchedParam param);

    /// <summary>Threads that refused the first pass, and the error of the last refusal.</summary>
    private static (int Refused, int LastError) _refusals;

    /// <summary>Puts every thread the process has under the batch policy. The threads made later inherit it from the
    /// thread that makes them, so this runs first thing; a pass every <see cref="Resweep"/> catches those made by an
    /// exempt thread. A process an operator started under a policy other than normal or batch (<c>chrt</c>, systemd's
    /// <c>CPUSchedulingPolicy=</c>) is left as it is.</summary>
    /// <remarks>Nothing is done where it does not apply: not Linux, a C library without these calls (musl's stubs),
    /// another policy, or no <c>/proc</c>.</remarks>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Policy() is not (Normal or Batch) || !Directory.Exists("/proc/self/task")) return;
        _applied = true;
        _refusals = Pass();
        _resweep = new Timer(static _ => Pass(), null, Resweep, Resweep);
    }

    /// <summary>Puts the calling thread back under the normal policy, where <see cref="Apply"/> moved the process, and
    /// keeps it there: for a thread whose wake-ups should not wait for the running thread's slice to end. The media
    /// forwarder's packet thread is one (a packet held a few milliseconds is heard).</summary>
    public static void ExemptCallingThread()
    {
        if (!_applied || CallingThreadId() is not { } tid) return;
        Exempt[tid] = 0;
        sched_setscheduler(0, Normal, new SchedParam());
    }

    /// <summary>The calling thread's policy (0 normal, 3 batch, ...); null where there is no such thing (not Linux,
    /// or the C library does not implement it).</summary>
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

    /// <summary>How a start line names the calling thread's policy, with any threads that refused to move.</summary>
    public static string Describe()
    {
        var policy = Policy() switch
        {
            Normal => "normal",
            Batch => "batch",
            null => "unknown",
            var other => $"policy {other} (set outside Zvonim)",
        };
        var (refused, error) = _refusals;
        return refused == 0 ? policy : $"{policy} ({refused} thread(s) refused batch: errno {error})";
    }

    /// <summary>Moves every thread under the normal policy but the exempt ones; returns those that refused.</summary>
    private static (int Refused, int LastError) Pass()
    {
        int refused = 0, error = 0;
        try
        {
            foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (!int.TryParse(Path.GetFileName(thread), out var tid) || Exempt.ContainsKey(tid) || sched_getscheduler(tid) != Normal) continue;
                if (sched_setscheduler(tid, Batch, new SchedParam()) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != Esrch)
                    (refused, error) = (refused + 1, errno);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // /proc went away under us (a sandbox): the threads there were keep what they have.
        }
        return (refused, error);
    }

    private const int Esrch = 3; // the thread ended since the listing

    /// <summary>The calling thread's id in the kernel, from /proc/thread-self (a link to "pid/task/tid").</summary>
    private static int? CallingThreadId()
    {
        try
        {
            var target = new FileInfo("/proc/thread-self").LinkTarget;
            return int.TryParse(Path.GetFileName(target), out var tid) ? tid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
