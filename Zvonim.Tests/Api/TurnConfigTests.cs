using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>GET /api/turn-config: ICE servers from settings; coturn REST credentials when a shared secret is set.</summary>
public sealed class TurnConfigTests
{
    private static async Task<(JsonObject Body, string Raw, HttpResponseMessage Response)> GetAsync(ZvonimServer server)
    {
        using var http = server.Client();
        var response = await http.GetAsync("/api/turn-config");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var raw = await response.Content.ReadAsStringAsync();
        return ((JsonNode.Parse(raw) as JsonObject)!, raw, response);
    }

    private static JsonArray IceServers(JsonObject body) => Assert.IsType<JsonArray>(body["iceServers"]);

    private static List<string> Urls(JsonNode server) => Assert.IsType<JsonArray>(server["urls"]).Select(u => (string)u!).ToList();

    [Fact]
    public async Task Without_settings_there_are_no_ice_servers()
    {
        await using var server = Server();
        var (body, _, response) = await GetAsync(server);
        using (response)
        {
            Assert.Empty(IceServers(body));
            Assert.Null(body["ttl"]);
        }
    }

    [Fact]
    public async Task STUN_only()
    {
        await using var server = Server(
            ("Zvonim:Turn:StunUrls:0", "stun:stun.example.org:3478"),
            ("Zvonim:Turn:StunUrls:1", "stuns:stun2.example.org:5349"));
        var (body, _, response) = await GetAsync(server);
        using (response)
        {
            var only = Assert.Single(IceServers(body))!;
            Assert.Equal(["stun:stun.example.org:3478", "stuns:stun2.example.org:5349"], Urls(only));
            Assert.Null(only["username"]);
            Assert.Null(only["credential"]);
            Assert.Null(body["ttl"]);
        }
    }

    [Fact]
    public async Task Static_TURN_credentials_are_passed_as_set()
    {
        await using var server = Server(
            ("Zvonim:Turn:StunUrls:0", "stun:stun.example.org:3478"),
            ("Zvonim:Turn:TurnUrls:0", "turn:turn.example.org:3478?transport=udp"),
            ("Zvonim:Turn:TurnUrls:1", "turns:turn.example.org:5349?transport=tcp"),
            ("Zvonim:Turn:Username", "alice"),
            ("Zvonim:Turn:Credential", "s3cr3t-static"));
        var (body, _, response) = await GetAsync(server);
        using (response)
        {
            var servers = IceServers(body);
            Assert.Equal(2, servers.Count);
            var stun = servers.Single(s => Urls(s!).All(u => u.StartsWith("stun", StringComparison.Ordinal)))!;
            Assert.Null(stun["username"]);
            var turn = servers.Single(s => Urls(s!).All(u => u.StartsWith("turn", StringComparison.Ordinal)))!;
            Assert.Equal(["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"], Urls(turn));
            Assert.Equal("alice", (string?)turn["username"]);
            Assert.Equal("s3cr3t-static", (string?)turn["credential"]);
            Assert.Null(body["ttl"]);
        }
    }

    [Fact]
    public async Task With_a_secret_TURN_credentials_follow_the_coturn_REST_scheme()
    {
        const string secret = "coturn-static-auth-secret-Ω";
        var time = Clocks.Fake(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));
        await using var server = Server(time,
            ("Zvonim:Turn:StunUrls:0", "stun:stun.example.org:3478"),
            ("Zvonim:Turn:TurnUrls:0", "turn:turn.example.org:3478"),
            ("Zvonim:Turn:Secret", secret),
            ("Zvonim:Turn:CredentialTtl", "01:30:00"));

        var (body, raw, response) = await GetAsync(server);
        using (response)
        {
            Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
            Assert.DoesNotContain(secret, raw);
            Assert.Equal(5400, (int?)body["ttl"]);

            var turn = IceServers(body).Single(s => Urls(s!).Contains("turn:turn.example.org:3478"))!;
            var username = (string)turn["username"]!;
            var credential = (string)turn["credential"]!;
            var parts = username.Split(':');
            Assert.Equal(2, parts.Length);
            Assert.Equal(time.GetUtcNow().AddSeconds(5400).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), parts[0]);
            Assert.False(string.IsNullOrEmpty(parts[1]));
            var expected = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username)));
            Assert.Equal(expected, credential);
            Assert.DoesNotContain(secret, credential);
        }

        // Each request gets its own username; the expiry follows the clock.
        time.Advance(TimeSpan.FromMinutes(10));
        var (later, laterRaw, laterResponse) = await GetAsync(server);
        using (laterResponse)
        {
            Assert.DoesNotContain(secret, laterRaw);
            var turn = IceServers(later).Single(s => Urls(s!).Contains("turn:turn.example.org:3478"))!;
            var username = (string)turn["username"]!;
            Assert.Equal(time.GetUtcNow().AddSeconds(5400).ToUnixTimeSeconds(), long.Parse(username.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username))),
                (string?)turn["credential"]);
        }
    }

    [Fact]
    public async Task With_a_secret_two_requests_get_different_usernames_and_the_static_credentials_are_not_used()
    {
        var time = Clocks.Fake();
        await using var server = Server(time,
            ("Zvonim:Turn:TurnUrls:0", "turn:turn.example.org:3478"),
            ("Zvonim:Turn:Secret", "another-secret"),
            ("Zvonim:Turn:Username", "static-user"),
            ("Zvonim:Turn:Credential", "static-password"));
        var (first, firstRaw, r1) = await GetAsync(server);
        var (second, _, r2) = await GetAsync(server);
        using (r1)
        using (r2)
        {
            var u1 = (string)IceServers(first).Single()!["username"]!;
            var u2 = (string)IceServers(second).Single()!["username"]!;
            Assert.NotEqual(u1, u2);
            Assert.Equal(u1.Split(':')[0], u2.Split(':')[0]); // same virtual instant, same expiry
            Assert.DoesNotContain("static-password", firstRaw);
            Assert.DoesNotContain("another-secret", firstRaw);
            Assert.Equal(4 * 3600, (int?)first["ttl"]); // the default CredentialTtl
        }
    }
}
