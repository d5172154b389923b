using System.Collections.Concurrent;
using System.Net;

namespace Zvonim.Web.Limits;

/// <summary>
/// A token bucket per key (a client address, a user name) on the host's <see cref="TimeProvider"/>: an address may spend up to
/// <c>capacity</c> tokens at once, and they come back evenly over <c>period</c> (a minute unless said). Written here rather than taken from
/// System.Threading.RateLimiting because that one reads the wall clock (so refills cannot be tested in virtual time)
/// and its zero-permit check answered "available" on an empty bucket holding a fraction of a token.
/// </summary>
public class TokenBuckets<TKey>(int capacity, TimeSpan period, TimeProvider time) where TKey : notnull
{
    public TokenBuckets(int perMinute, TimeProvider time) : this(perMinute, TimeSpan.FromMinutes(1), time)
    {
    }

    /// <summary>Past this many addresses, full buckets (addresses that went quiet) are forgotten on the next take.</summary>
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<TKey, Bucket> _buckets = new();
    private long _lastSweep;
    private readonly double _perSecond = capacity / period.TotalSeconds;

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens = tokens;
        public long Stamp = stamp;
    }

    /// <summary>Spends <paramref name="tokens"/> of <paramref name="address"/>'s bucket, or answers how long until it
    /// could.</summary>
    public bool TryTake(TKey address, out TimeSpan retryAfter, int tokens = 1)
    {
        if (_buckets.Count > SweepAbove) Sweep();
        var bucket = _buckets.GetOrAdd(address, _ => new Bucket(capacity, time.GetTimestamp()));
        lock (bucket)
        {
            Refill(bucket);
            if (bucket.Tokens >= tokens)
            {
                bucket.Tokens -= tokens;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = TimeSpan.FromSeconds((tokens - bucket.Tokens) / _perSecond);
            return false;
        }
    }

    /// <summary>Whether <paramref name="address"/> has a whole token left, spending nothing.</summary>
    public bool HasToken(TKey address) => HasToken(address, out _);

    /// <summary>As above, with how long until it has one.</summary>
    public bool HasToken(TKey address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_buckets.TryGetValue(address, out var bucket)) return true;
        lock (bucket)
        {
            Refill(bucket);
            if (bucket.Tokens >= 1) return true;
            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / _perSecond);
            return false;
        }
    }

    private void Refill(Bucket bucket)
    {
        var now = time.GetTimestamp();
        bucket.Tokens = Math.Min(capacity, bucket.Tokens + time.GetElapsedTime(bucket.Stamp, now).TotalSeconds * _perSecond);
        bucket.Stamp = now;
    }

    /// <summary>At most once a second: with many addresses whose buckets are not full, a sweep finds little.</summary>
    private void Sweep()
    {
        var last = Interlocked.Read(ref _lastSweep);
        var now = time.GetTimestamp();
        if (last != 0 && time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1)) return;
        if (Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return;
        foreach (var (address, bucket) in _buckets)
        {
            lock (bucket)
            {
                Refill(bucket);
                if (bucket.Tokens >= capacity) _buckets.TryRemove(KeyValuePair.Create(address, bucket));
            }
        }
    }
}

/// <summary>A bucket per client address.</summary>
public sealed class AddressBuckets(int capacity, TimeSpan period, TimeProvider time) : TokenBuckets<IPAddress>(capacity, period, time)
{
    public AddressBuckets(int perMinute, TimeProvider time) : this(perMinute, TimeSpan.FromMinutes(1), time)
    {
    }
}
