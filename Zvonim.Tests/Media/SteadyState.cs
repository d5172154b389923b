namespace Zvonim.Tests.Media;

/// <summary>Allocation checks for per-packet code.</summary>
/// <remarks>One measured window can catch a one-off the code under test did not make: on a busy machine the runtime
/// may tier a method up, or a gen-2 collection trim a pool, in the middle of it. Such a cost comes once; an allocation
/// per call shows in every window, and a collection that grows with the calls (reallocating as it doubles) in more than
/// one. So the figure leaves out the one window that allocated most.</remarks>
internal static class SteadyState
{
    /// <summary>The bytes this thread allocated over <paramref name="windows"/> windows of <paramref name="rounds"/>
    /// calls of <paramref name="round"/> each, but for the window that allocated most, after one call for first-use
    /// costs.</summary>
    public static long AllocatedBytes(Action round, int rounds, int windows = 5)
    {
        round();
        var allocated = new long[windows];
        for (var window = 0; window < windows; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < rounds; i++) round();
            allocated[window] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return allocated.Sum() - allocated.Max();
    }
}
