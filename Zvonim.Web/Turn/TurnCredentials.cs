using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Zvonim.Actors;
using Zvonim.Web.Settings;
using Zvonim.Web.Stun;

namespace Zvonim.Web.Turn;

// Field names are the browser's RTCConfiguration ones, not the API's snake_case.
public sealed record IceServer(
    [property: JsonPropertyName("urls")] IReadOnlyList<string> Urls,
    [property: JsonPropertyName("username")] string? Username = null,
    [property: JsonPropertyName("credential")] string? Credential = null);

public sealed record TurnConfig(
    [property: JsonPropertyName("iceServers")] IReadOnlyList<IceServer> IceServers,
    [property: JsonPropertyName("ttl")] int? Ttl);

/// <summary>
/// ICE servers for browsers. With a shared secret, TURN credentials follow coturn's REST scheme (use-auth-secret):
/// username <c>&lt;expiry unix time&gt;:&lt;opaque id&gt;</c>, password <c>base64(HMAC-SHA1(secret, username))</c>.
/// </summary>
public sealed class TurnCredentials(IOptions<ZvonimOptions> options, TimeProvider time, StunResponder stun)
{
    /// <param name="host">The host the browser reached Zvonim at: where Zvonim's own STUN responder is, when it is the
    /// only STUN server there is.</param>
    public TurnConfig Current(string host)
    {
        var turn = options.Value.Turn;
        var servers = new List<IceServer>();
        if (turn.StunUrls.Count > 0) servers.Add(new IceServer(turn.StunUrls));
        else if (turn.TurnUrls.Count == 0 && stun.Port is { } port) servers.Add(new IceServer([$"stun:{host}:{port}"]));
        if (turn.TurnUrls.Count == 0) return new TurnConfig(servers, null);

        if (string.IsNullOrEmpty(turn.Secret))
        {
            servers.Add(new IceServer(turn.TurnUrls, turn.Username, turn.Credential));
            return new TurnConfig(servers, null);
        }
        var expiry = time.GetUtcNow() + turn.CredentialTtl;
        var username = expiry.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + Ids.New();
        servers.Add(new IceServer(turn.TurnUrls, username, Sign(turn.Secret, username)));
        return new TurnConfig(servers, (int)turn.CredentialTtl.TotalSeconds);
    }

    public static string Sign(string secret, string username) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username)));
}
