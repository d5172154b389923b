using System.Globalization;
using System.Numerics;

namespace Zvonim.Bench.Sfu;

/// <summary>
/// A single-writer log-linear histogram of microseconds (the same buckets as <c>Stats.LatencyHistogram</c>: exact
/// below 256 µs, then 128 per power of two), without the interlocked updates: each receiving thread has its own, and
/// they are merged once the run is over. Readers from other threads only see a slightly stale count.
/// </summary>
public sealed class SfuHistogram
{
    private const int Exact = 256;
    private const int SubBuckets = 128;
    private readonly long[] _counts = new long[Exact + 48 * SubBuckets];
    private long _count;
    private long _max;

    public long Count => Volatile.Read(ref _count);

    public double MaxMs => _max / 1000.0;

    public void RecordNanos(long nanos)
    {
        var micros = Math.Max(0, nanos) / 1000;
        _counts[Index(micros)]++;
        if (micros > _max) _max = micros;
        Volatile.Write(ref _count, _count + 1);
    }

    public void Merge(SfuHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        _count += other._count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The value at quantile <paramref name="q"/> in milliseconds (a bucket's upper edge); 0 when empty.</summary>
    public double PercentileMs(double q)
    {
        if (_count == 0) return 0;
        var rank = Math.Max(1, (long)Math.Ceiling(q * _count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(ValueOf(i), _max) / 1000.0;
        }
        return MaxMs;
    }

    private static int Index(long v)
    {
        if (v < Exact) return (int)v;
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)v);
        var shift = msb - 7;
        var top = (int)(v >> shift);
        return Math.Min(Exact + (shift - 1) * SubBuckets + (top - SubBuckets), Exact + 48 * SubBuckets - 1);
    }

    private static long ValueOf(int i)
    {
        if (i < Exact) return i;
        var shift = (i - Exact) / SubBuckets + 1;
        var top = (i - Exact) % SubBuckets + SubBuckets;
        return ((long)(top + 1) << shift) - 1;
    }
}

/// <summary>What one receiving load peer saw, written by its receive thread only.</summary>
public sealed class ReceiveStats
{
    private ulong[] _seen = new ulong[1024];
    private long _received;
    private Waiter? _waiter;

    /// <summary>Latency is recorded only while this is set (the measured window).</summary>
    public volatile bool Recording;

    /// <summary>From the publisher's send to the kernel's receive stamp of the copy (taken as the forwarder hands it to
    /// loopback, before the receiving side's softirq and socket queue; the read time where there is none): what the
    /// forwarder adds, without the receiving side.</summary>
    public SfuHistogram Latency { get; } = new();

    /// <summary>From the publisher's send to this subscriber's receive thread reading the copy: <see cref="Latency"/>
    /// plus the load client's own wake-up and queueing behind the other subscribers' threads.</summary>
    public SfuHistogram ReadLatency { get; } = new();

    /// <summary>Distinct packets received.</summary>
    public long Received => Volatile.Read(ref _received);

    public long Duplicated { get; private set; }
    public long Reordered { get; private set; }

    /// <summary>Did not authenticate, or not the SSRC / payload type this subscriber was promised, or a bad payload.</summary>
    public long Corrupted { get; private set; }

    public long Highest { get; private set; } = -1;

    public string? FirstProblem { get; private set; }

    /// <summary>Completes once <paramref name="count"/> distinct packets have arrived (at once if they have), told by
    /// the receive thread as the packet that makes the count arrives. One waiter at a time: a later call replaces an
    /// earlier one, which then completes only if its own count is reached before.</summary>
    public Task WhenReceived(long count)
    {
        var waiter = new Waiter(count);
        Interlocked.Exchange(ref _waiter, waiter); // a full fence: either Accept sees this waiter or this sees its count
        if (Received >= count) Release(waiter);
        return waiter.Task;
    }

    private void Release(Waiter waiter)
    {
        Interlocked.CompareExchange(ref _waiter, null, waiter);
        waiter.TrySetResult();
    }

    public void Bad(string why)
    {
        Corrupted++;
        FirstProblem ??= why;
    }

    /// <summary>Packet <paramref name="index"/> (the publisher's count, from 0) reached the socket
    /// <paramref name="arrivalNanos"/> and was read <paramref name="readNanos"/> after it was sent.</summary>
    public void Accept(long index, long arrivalNanos, long readNanos)
    {
        if (index < 0)
        {
            Bad($"negative packet index {index}");
            return;
        }
        var word = (int)(index >> 6);
        if (word >= _seen.Length) Array.Resize(ref _seen, Math.Max(word + 1, _seen.Length * 2));
        var bit = 1UL << (int)(index & 63);
        if ((_seen[word] & bit) != 0)
        {
            Duplicated++;
            FirstProblem ??= string.Create(CultureInfo.InvariantCulture, $"packet {index} received twice");
            return;
        }
        _seen[word] |= bit;
        if (index < Highest)
        {
            Reordered++;
            FirstProblem ??= string.Create(CultureInfo.InvariantCulture, $"packet {index} after {Highest}");
        }
        else
            Highest = index;
        if (Recording)
        {
            Latency.RecordNanos(arrivalNanos);
            ReadLatency.RecordNanos(readNanos);
        }
        // Interlocked (a full fence) rather than a volatile write, so that the waiter read next and the count read by
        // WhenReceived cannot both be stale; no allocation, and only a waiter's last packet does more than a read.
        var received = Interlocked.Increment(ref _received);
        if (Volatile.Read(ref _waiter) is { } waiter && received >= waiter.Count) Release(waiter);
    }

    /// <summary>Someone awaiting <see cref="Count"/> packets; it continues on the thread pool, not the receive thread.</summary>
    private sealed class Waiter(long count) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Count { get; } = count;
    }
}

/// <summary>
/// CPU time of one thread of this process from /proc/self/task/&lt;tid&gt;: schedstat (nanoseconds on CPU) when the
/// kernel has it, else stat's utime + stime (clock ticks). Linux only; null elsewhere.
/// </summary>
public static class ThreadCpu
{
    /// <summary>Native ids of this process's threads named <paramref name="name"/> (as /proc shows it: 15 characters at most).</summary>
    public static HashSet<int> Find(string name)
    {
        var found = new HashSet<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == name && int.TryParse(Path.GetFileName(task), out var tid)) found.Add(tid);
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return found;
    }

    /// <summary>A thread named <paramref name="name"/> that was not among <paramref name="before"/>, waiting a little for it to be named.</summary>
    public static int? FindNew(string name, HashSet<int> before)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var fresh = Find(name).Except(before).ToList();
            if (fresh.Count == 1) return fresh[0];
            if (fresh.Count > 1) return null; // another one started meanwhile (tests in parallel): cannot tell which
            Thread.Sleep(10);
        }
        return null;
    }

    public static TimeSpan? Read(int? tid)
    {
        if (tid is null) return null;
        try
        {
            var schedstat = $"/proc/self/task/{tid}/schedstat";
            if (File.Exists(schedstat))
            {
                var first = File.ReadAllText(schedstat).Split(' ', 2)[0];
                if (long.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ns)) return TimeSpan.FromTicks(ns / 100);
            }
            var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
            // Fields after the command (which may hold spaces) start after the last ')': state is field 3, utime 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
