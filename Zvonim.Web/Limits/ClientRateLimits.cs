using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Zvonim.Web.Errors;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Limits;

public enum LimitKind
{
    /// <summary>Creating a call or a room.</summary>
    Create,
    Join,
    Socket,
    /// <summary>Asking for an id that does not exist: spent only by misses, checked before every lookup.</summary>
    Miss,
}

/// <summary>
/// Per-address token buckets (System.Threading.RateLimiting, as ASP.NET Core's rate limiting uses): each address may
/// burst up to its per-minute allowance, which then refills evenly. A refused request is a 429 with Retry-After and
/// the usual JSON error; other addresses never notice.
/// </summary>
public sealed class ClientRateLimits : IDisposable
{
    private readonly Dictionary<LimitKind, PartitionedRateLimiter<IPAddress>> _limiters;

    public ClientRateLimits(IOptions<ZvonimOptions> options)
    {
        var limits = options.Value.Limits;
        _limiters = new()
        {
            [LimitKind.Create] = PerAddress(limits.CreatesPerMinute),
            [LimitKind.Join] = PerAddress(limits.JoinsPerMinute),
            [LimitKind.Socket] = PerAddress(limits.SocketsPerMinute),
            [LimitKind.Miss] = PerAddress(limits.MissesPerMinute),
        };
    }

    private static PartitionedRateLimiter<IPAddress> PerAddress(int perMinute) =>
        PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute,
                // Refill evenly: one token every 60/N seconds, or N/60 tokens a second for large N.
                TokensPerPeriod = Math.Max(1, perMinute / 60),
                ReplenishmentPeriod = perMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    /// <summary>Takes one permit of <paramref name="kind"/> for the request's client, or answers why not.</summary>
    public IResult? TryTake(HttpContext context, LimitKind kind, int permits = 1)
    {
        using var lease = _limiters[kind].AttemptAcquire(ClientAddress.Of(context), permits);
        if (lease.IsAcquired) return null;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiError.Result(429, "rate_limited", kind switch
        {
            LimitKind.Create => $"Too many calls or rooms created from your address; try again in {seconds} s.",
            LimitKind.Join => $"Too many joins from your address; try again in {seconds} s.",
            LimitKind.Socket => $"Too many connections opened from your address; try again in {seconds} s.",
            _ => $"Too many requests for ids that do not exist from your address; try again in {seconds} s.",
        });
    }

    /// <summary>Whether the client may still look ids up (it has not spent its misses). Read from the bucket's
    /// statistics: a zero-permit acquire answers "yes" on an empty token bucket once its partition has been idle for a
    /// moment (seen with System.Threading.RateLimiting 10), which let spaced-out guesses through.</summary>
    public IResult? CheckMisses(HttpContext context)
    {
        var address = ClientAddress.Of(context);
        var available = _limiters[LimitKind.Miss].GetStatistics(address)?.CurrentAvailablePermits ?? 1;
        return available > 0 ? null : TryTake(context, LimitKind.Miss);
    }

    public void CountMiss(HttpContext context)
    {
        using var _ = _limiters[LimitKind.Miss].AttemptAcquire(ClientAddress.Of(context));
    }

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values) limiter.Dispose();
    }
}

public static class RateLimitFilters
{
    /// <summary>The endpoint takes one permit of <paramref name="kind"/> from its client before it runs.</summary>
    public static TBuilder Limited<TBuilder>(this TBuilder endpoint, LimitKind kind) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<ClientRateLimits>().TryTake(context.HttpContext, kind) ?? await next(context));

    /// <summary>The endpoint looks an id up: a client that has asked for too many ids that do not exist is refused
    /// first, and every "not found" it gets is counted.</summary>
    public static TBuilder CountsMisses<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var limits = context.HttpContext.RequestServices.GetRequiredService<ClientRateLimits>();
            if (limits.CheckMisses(context.HttpContext) is { } refused) return refused;
            var result = await next(context);
            if (result is IStatusCodeHttpResult { StatusCode: 404 }) limits.CountMiss(context.HttpContext);
            return result;
        });
}
