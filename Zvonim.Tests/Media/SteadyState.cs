namespace Zvonim.Tests.Media;

/// <summary>Allocation checks for per-packet code.</summary>
/// <remarks>One measured window can catch a one-off the code under test did not make: on a busy machine the runtime
/// may tier a method up, or a gen-2 collection trim a pool, in the middle of it. Such a cost does not come back; an
/// allocation per call shows in every window. So the figure is the least any of a few windows allocated.</remarks>
internal static class SteadyState
{
    /// <summary>The bytes this thread allocated over <paramref name="rounds"/> calls of <paramref name="round"/>, in
    /// the window that allocated least, after one call for first-use costs.</summary>
    public static long AllocatedBytes(Action round, int rounds, int windows = 5)
    {
        round();
        var least = long.MaxValue;
        for (var window = 0; window < windows && least != 0; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < rounds; i++) round();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
