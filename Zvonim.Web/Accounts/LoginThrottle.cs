using System.Globalization;
using Microsoft.Extensions.Options;
using Zvonim.Web.Errors;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Accounts;

/// <summary>Password guessing is slowed twice: per address (one machine trying many names) and per user name (many
/// machines trying one name). Both answer 429 with Retry-After, before the password is even checked.</summary>
public sealed class LoginThrottle(IOptions<ZvonimOptions> options, TimeProvider time)
{
    private readonly AddressBuckets _perAddress = new(options.Value.Accounts.LoginsPerMinutePerAddress, time);
    private readonly TokenBuckets<string> _perName = new(options.Value.Accounts.LoginsPerMinutePerUser, time);

    public IResult? Refuse(HttpContext context, string username)
    {
        if (_perAddress.TryTake(ClientAddress.Of(context), out var wait) && _perName.TryTake(username.ToLowerInvariant(), out wait)) return null;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        Zvonim.Actors.Telemetry.ZvonimMetrics.RateLimited.Add(1, new KeyValuePair<string, object?>("kind", "Login"));
        return ApiError.Result(429, "rate_limited", $"Too many sign-in attempts; try again in {seconds} s.");
    }
}
