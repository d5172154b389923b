using System.Diagnostics;
using System.Numerics;

namespace Zvonim.Bench.Stats;

/// <summary>
/// A thread-safe log-linear histogram of durations in microseconds (HDR style: exact below 256 µs, then 128 buckets
/// per power of two, i.e. under 0.8% error). Recording is one Interlocked increment, no allocation.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Exact = 256;
    private const int SubBuckets = 128;
    private readonly long[] _counts = new long[Exact + 48 * SubBuckets];
    private long _count;
    private long _max;
    private long _sum;

    public long Count => Interlocked.Read(ref _count);

    public void RecordTicks(long stopwatchTicks) =>
        RecordMicroseconds(Math.Max(0, stopwatchTicks) * 1_000_000 / Stopwatch.Frequency);

    public void RecordMicroseconds(long micros)
    {
        if (micros < 0) micros = 0;
        Interlocked.Increment(ref _counts[Index(micros)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, micros);
        long max;
        while (micros > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, max) != max)
        {
        }
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) in milliseconds; 0 when empty.</summary>
    public double PercentileMs(double q)
    {
        var total = Count;
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(q * total);
        if (rank < 1) rank = 1;
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank) return Math.Min(ValueOf(i), Interlocked.Read(ref _max)) / 1000.0;
        }
        return MaxMs;
    }

    public double MaxMs => Interlocked.Read(ref _max) / 1000.0;

    public double MeanMs => Count == 0 ? 0 : Interlocked.Read(ref _sum) / 1000.0 / Count;

    private static int Index(long v)
    {
        if (v < Exact) return (int)v;
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)v); // >= 8
        var shift = msb - 7;
        var top = (int)(v >> shift); // 128..255
        var index = Exact + (shift - 1) * SubBuckets + (top - SubBuckets);
        return Math.Min(index, Exact + 48 * SubBuckets - 1);
    }

    /// <summary>The upper edge of bucket <paramref name="i"/> (a percentile is never reported too low).</summary>
    private static long ValueOf(int i)
    {
        if (i < Exact) return i;
        var shift = (i - Exact) / SubBuckets + 1;
        var top = (i - Exact) % SubBuckets + SubBuckets;
        return ((long)(top + 1) << shift) - 1;
    }
}
