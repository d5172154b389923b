using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Zvonim.Web.Hosting;

/// <summary>
/// Defaults that cost a node with one CPU (a one-CPU VM or container, or a process pinned to one core) and buy it
/// nothing, each measured per call setup against the defaults in alternating turns (docs/benchmarks.md, twelfth and
/// thirteenth sessions): the thread pool's spin, Kestrel's IO queues, and the scheduler's preemption on waking
/// (<see cref="BatchScheduling"/>). With more CPUs all are left as they are.
/// </summary>
public static class SingleCpuTuning
{
    /// <summary>True when <see cref="Environment.ProcessorCount"/> is 1: one CPU's worth, by affinity or by quota.</summary>
    public static bool Applies => AppliesTo(Environment.ProcessorCount);

    internal static bool AppliesTo(int processorCount) => processorCount == 1;

    /// <summary>Runs first thing: before the thread pool's first use, which reads the spin limit once, and before the
    /// threads the process makes, which inherit the scheduling policy.</summary>
    /// <remarks>An idle pool worker spins up to 70 times before it sleeps, so as to catch work another CPU is about to
    /// queue. With one CPU nothing else can queue while it spins: each spin is a <c>sched_yield</c> that hands the CPU
    /// to another thread and back.</remarks>
    public static void AtStart()
    {
        if (!Applies) return;
        if (AppContext.GetData(SpinLimit) is null) AppContext.SetData(SpinLimit, 0);
        BatchScheduling.Apply();
    }

    /// <summary>Kestrel hands each connection's socket work to IO queues of its own (one per CPU), which run on the
    /// thread pool in turn: with one CPU that is one more queue and hand-off per read and write in front of the
    /// pool's own. Zero schedules it on the pool directly.</summary>
    public static void Configure(SocketTransportOptions sockets) => Configure(sockets, Environment.ProcessorCount);

    internal static void Configure(SocketTransportOptions sockets, int processorCount)
    {
        if (AppliesTo(processorCount)) sockets.IOQueueCount = 0;
    }

    /// <summary>The spin limit the pool's workers took when it started, read from the pool itself (the semaphore its
    /// idle workers wait on): what is in force, whoever set it and whenever the pool first ran. There is no public way
    /// to read it; null where a runtime keeps it elsewhere.</summary>
    public static int? PoolSpinLimit()
    {
        try
        {
            var semaphore = typeof(ThreadPool).Assembly.GetType("System.Threading.PortableThreadPool+WorkerThread")
                ?.GetField("s_semaphore", BindingFlags.Static | BindingFlags.NonPublic)?.GetValue(null);
            return semaphore?.GetType().GetField("_spinCount", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(semaphore) as int?;
        }
        catch (Exception ex) when (ex is MemberAccessException or TargetInvocationException or NotSupportedException)
        {
            return null;
        }
    }

    private const string SpinLimit = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";
}
