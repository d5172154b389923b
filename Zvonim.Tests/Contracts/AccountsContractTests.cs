using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Seed 002, accounts (base /api/v1): register {username, password} → {id, username}; login → {accessToken}, sent as
/// Authorization: Bearer; GET /users/me and /users with it; 401 without or with a bad one, as JSON {error, message}.
/// </summary>
public sealed class AccountsContractTests
{
    private static async Task<JsonObject> RegisterAsync(HttpClient http, string username, string password = "correct horse")
    {
        using var response = await http.PostAsync("/api/v1/auth/register", Json($$"""{"username":"{{username}}","password":"{{password}}"}"""));
        return await OkAsync(response);
    }

    private static async Task<string> LoginAsync(HttpClient http, string username, string password = "correct horse")
    {
        using var response = await http.PostAsync("/api/v1/auth/login", Json($$"""{"username":"{{username}}","password":"{{password}}"}"""));
        return (string)(await OkAsync(response))["accessToken"]!;
    }

    private static HttpRequestMessage WithToken(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact]
    public async Task Register_log_in_and_see_yourself_and_the_others()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await RegisterAsync(http, "anna");
        Assert.True(Guid.TryParse((string?)anna["id"], out _), anna.ToJsonString());
        Assert.Equal("anna", (string?)anna["username"]);
        await RegisterAsync(http, "boris");

        var token = await LoginAsync(http, "anna");
        Assert.Equal(3, token.Split('.').Length);
        using var me = await http.SendAsync(WithToken("/api/v1/users/me", token));
        var self = await OkAsync(me);
        Assert.Equal((anna["id"]!.ToString(), "anna"), (self["id"]!.ToString(), (string?)self["username"]));

        using var all = await http.SendAsync(WithToken("/api/v1/users", token));
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        var users = JsonNode.Parse(await all.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(["anna", "boris"], users.Select(u => (string)u!["username"]!).Order());
    }

    [Fact]
    public async Task A_taken_name_is_409_whatever_its_case_and_bad_input_says_what_is_wrong()
    {
        await using var server = Server();
        using var http = server.Client();
        await RegisterAsync(http, "Anna");
        await AssertErrorAsync(await http.PostAsync("/api/v1/auth/register", Json("""{"username":"anna","password":"another one"}""")),
            HttpStatusCode.Conflict, "username_taken");
        var body = await AssertErrorAsync(await http.PostAsync("/api/v1/auth/register", Json("""{"username":"a b","password":"long enough"}""")),
            HttpStatusCode.BadRequest, "invalid_username");
        Assert.Contains("3 to 32", (string?)body["message"]);
        body = await AssertErrorAsync(await http.PostAsync("/api/v1/auth/register", Json("""{"username":"carol","password":"short"}""")),
            HttpStatusCode.BadRequest, "invalid_password");
        Assert.Contains("8 to 128", (string?)body["message"]);
        await AssertErrorAsync(await http.PostAsync("/api/v1/auth/register", Json("""{"username":"carol","password":5}""")),
            HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_name_get_the_same_401()
    {
        await using var server = Server();
        using var http = server.Client();
        await RegisterAsync(http, "anna");
        var wrong = await AssertErrorAsync(await http.PostAsync("/api/v1/auth/login", Json("""{"username":"anna","password":"not the one"}""")),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        var unknown = await AssertErrorAsync(await http.PostAsync("/api/v1/auth/login", Json("""{"username":"nobody","password":"not the one"}""")),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(wrong.ToJsonString(), unknown.ToJsonString());
    }

    [Fact]
    public async Task No_token_a_forged_token_and_an_expired_token_are_each_401()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = Server(time, ("Zvonim:Accounts:TokenLifetime", "01:00:00"));
        using var http = server.Client();
        await RegisterAsync(http, "anna");
        var token = await LoginAsync(http, "anna");

        await AssertErrorAsync(await http.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "zvonim", Audience = "zvonim", Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString() },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(new byte[32]), SecurityAlgorithms.HmacSha256),
        });
        await AssertErrorAsync(await http.SendAsync(WithToken("/api/v1/users/me", forged)), HttpStatusCode.Unauthorized, "unauthorized");

        using (var fresh = await http.SendAsync(WithToken("/api/v1/users/me", token))) await OkAsync(fresh);
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1)); // past its lifetime and the 30 s of clock skew
        var expired = await AssertErrorAsync(await http.SendAsync(WithToken("/api/v1/users/me", token)), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("expired", (string?)expired["message"]);
    }

    [Fact]
    public async Task Guessing_one_users_password_is_slowed_down_with_429_and_retry_after()
    {
        await using var server = Server(("Zvonim:Accounts:LoginsPerMinutePerUser", "3"));
        using var http = server.Client();
        await RegisterAsync(http, "anna");
        for (var i = 0; i < 3; i++)
            await AssertErrorAsync(await http.PostAsync("/api/v1/auth/login", Json("""{"username":"anna","password":"guess guess"}""")),
                HttpStatusCode.Unauthorized, "invalid_credentials");
        using var refused = await http.PostAsync("/api/v1/auth/login", Json("""{"username":"ANNA","password":"correct horse"}"""));
        await AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    private static Task<HttpResponseMessage> GuessAsync(HttpClient http, string username) =>
        http.PostAsync("/api/v1/auth/login", Json($$"""{"username":"{{username}}","password":"guess guess"}"""));

    private static int RetryAfter(HttpResponseMessage response) =>
        int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Ten_wrong_passwords_from_one_address_slow_that_address_down_but_do_not_lock_the_owner_out()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = Server(time);
        using var guesser = server.ClientFrom(SourceAddress.Attacker);
        using var alice = server.ClientFrom(SourceAddress.Neighbour);
        await RegisterAsync(alice, "alice");
        for (var i = 0; i < 10; i++)
            await AssertErrorAsync(await GuessAsync(guesser, "alice"), HttpStatusCode.Unauthorized, "invalid_credentials");

        using var refused = await GuessAsync(guesser, "alice");
        await AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(6, RetryAfter(refused)); // 10 a minute: the next one in 6 s
        Assert.False(string.IsNullOrEmpty(await LoginAsync(alice, "alice")));

        // A name no account can have is refused as such, before it could key anything.
        await AssertErrorAsync(await GuessAsync(guesser, new string('a', 4000)), HttpStatusCode.BadRequest, "invalid_username");
    }

    [Fact]
    public async Task Wrong_passwords_for_one_name_from_many_addresses_are_slowed_down_together()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = Server(time, ("Zvonim:Accounts:LoginsPerMinutePerUser", "2"), ("Zvonim:Accounts:FailedLoginsPerMinutePerUser", "5"));
        using var http = server.Client();
        await RegisterAsync(http, "anna");
        await LoginAsync(http, "anna"); // signing in spends none of the name's allowance for failures
        var addresses = Enumerable.Range(10, 4).Select(i => IPAddress.Parse($"127.0.0.{i}")).ToList();
        var clients = addresses.Select(server.ClientFrom).ToList();
        try
        {
            foreach (var client in clients.Take(3)) // 2 + 2 + 1: each within its own allowance, 5 for the name
            {
                for (var i = 0; i < (client == clients[2] ? 1 : 2); i++)
                    await AssertErrorAsync(await GuessAsync(client, "anna"), HttpStatusCode.Unauthorized, "invalid_credentials");
            }
            using var refused = await GuessAsync(clients[3], "anna");
            await AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.Equal(12, RetryAfter(refused)); // 5 a minute: the next one in 12 s

            time.Advance(TimeSpan.FromSeconds(12));
            await AssertErrorAsync(await GuessAsync(clients[3], "anna"), HttpStatusCode.Unauthorized, "invalid_credentials");
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }
}
