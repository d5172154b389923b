using System.Globalization;
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
    /// <summary>Creating a room link (seed 004), which lasts for days unused: counted per day as well, so that one
    /// address cannot fill the node's <c>MaxCalls</c> with links nobody uses.</summary>
    RoomLink,
}

/// <summary>
/// Per-address token buckets (<see cref="AddressBuckets"/>): each address may burst up to its per-minute allowance,
/// which then refills evenly. A refused request is a 429 with Retry-After and the usual JSON error; other addresses
/// never notice.
/// </summary>
public sealed class ClientRateLimits(IOptions<ZvonimOptions> options, TimeProvider time)
{
    private readonly Dictionary<LimitKind, AddressBuckets> _buckets = new()
    {
        [LimitKind.Create] = new(options.Value.Limits.CreatesPerMinute, time),
        [LimitKind.Join] = new(options.Value.Limits.JoinsPerMinute, time),
        [LimitKind.Socket] = new(options.Value.Limits.SocketsPerMinute, time),
        [LimitKind.Miss] = new(options.Value.Limits.MissesPerMinute, time),
        [LimitKind.RoomLink] = new(options.Value.Limits.RoomLinksPerDay, TimeSpan.FromDays(1), time),
    };

    /// <summary>Takes one token of <paramref name="kind"/> for the request's client, or answers why not.</summary>
    public IResult? TryTake(HttpContext context, LimitKind kind) =>
        _buckets[kind].TryTake(ClientAddress.Of(context), out var retryAfter) ? null : Refused(context, kind, retryAfter);

    /// <summary>Whether the client may still look ids up (it has not spent its misses); spends nothing.</summary>
    public IResult? CheckMisses(HttpContext context)
    {
        var address = ClientAddress.Of(context);
        if (_buckets[LimitKind.Miss].HasToken(address)) return null;
        _buckets[LimitKind.Miss].TryTake(address, out var retryAfter); // only to learn how long until the next token
        return Refused(context, LimitKind.Miss, retryAfter);
    }

    public void CountMiss(HttpContext context) => _buckets[LimitKind.Miss].TryTake(ClientAddress.Of(context), out _);

    private static IResult Refused(HttpContext context, LimitKind kind, TimeSpan retryAfter)
    {
        Zvonim.Actors.Telemetry.ZvonimMetrics.RateLimited.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiError.Result(429, "rate_limited", kind switch
        {
            LimitKind.Create => $"Too many calls or rooms created from your address; try again in {seconds} s.",
            LimitKind.Join => $"Too many joins from your address; try again in {seconds} s.",
            LimitKind.Socket => $"Too many connections opened from your address; try again in {seconds} s.",
            LimitKind.RoomLink => $"Too many room links created from your address today; try again in {seconds} s.",
            _ => $"Too many requests for ids that do not exist from your address; try again in {seconds} s.",
        });
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
