using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Zvonim.Web.Errors;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Accounts;

/// <summary>
/// Password guessing is slowed three ways, each answered 429 with Retry-After before the password is checked: per
/// address (one machine trying many names), per address and name (one machine trying one name), and per name across
/// all addresses, counting failed attempts only (many machines trying one name). The last is the only one a stranger
/// shares with the account's owner; it is larger than what one address may try, so one address cannot lock anyone
/// out, and it is spent only by wrong passwords, so the owner signing in does not spend it either.
/// </summary>
public sealed class LoginThrottle(IOptions<ZvonimOptions> options, TimeProvider time)
{
    private readonly AddressBuckets _perAddress = new(options.Value.Accounts.LoginsPerMinutePerAddress, time);
    private readonly TokenBuckets<(IPAddress, string)> _perAddressAndName = new(options.Value.Accounts.LoginsPerMinutePerUser, time);
    private readonly TokenBuckets<string> _failuresPerName = new(options.Value.Accounts.EffectiveFailedLoginsPerMinutePerUser, time);

    /// <summary>A 429 when this attempt is one too many; <paramref name="username"/> must be a valid account name
    /// (it becomes a key).</summary>
    public IResult? Refuse(HttpContext context, string username)
    {
        var address = ClientAddress.Of(context);
        var name = username.ToLowerInvariant();
        if (_perAddress.TryTake(address, out var wait) && _perAddressAndName.TryTake((address, name), out wait)
            && _failuresPerName.HasToken(name, out wait))
            return null;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        Zvonim.Actors.Telemetry.ZvonimMetrics.RateLimited.Add(1, new KeyValuePair<string, object?>("kind", "Login"));
        return ApiError.Result(429, "rate_limited", $"Too many sign-in attempts; try again in {seconds} s.");
    }

    /// <summary>Counts a wrong password (or an unknown name) against the name, whichever address tried it.</summary>
    public void Failed(string username) => _failuresPerName.TryTake(username.ToLowerInvariant(), out _);
}
