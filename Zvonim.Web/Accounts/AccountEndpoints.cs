using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Users;
using Zvonim.Web.Settings;
using Microsoft.IdentityModel.JsonWebTokens;
using Zvonim.Web.Errors;
using Zvonim.Web.Limits;

namespace Zvonim.Web.Accounts;

// Seed 002 speaks camelCase (accessToken, calleeId), unlike the other dialects.
public sealed record Credentials(string? Username, string? Password);

public sealed record UserView(Guid Id, string Username);

/// <param name="Online">The user has a socket open (/api/v1/ws), so a call would ring.</param>
public sealed record UserListed(Guid Id, string Username, bool Online);

public sealed record LoggedIn([property: JsonPropertyName("accessToken")] string AccessToken);

/// <summary>Seed 002, accounts: register, log in for a JWT, who am I, who is there. Base path /api/v1.</summary>
public static partial class AccountEndpoints
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly PasswordHasher<User> Hasher = new();

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Accounts (seed 002)");
        api.MapPost("/auth/register", RegisterAsync).Limited(LimitKind.Create).Accepts<Credentials>("application/json")
            .Documented<UserView>("Create an account: a user name (3-32 letters, digits, . _ -) and a password (8-128 characters)", 400, 409, 413, 415, 429);
        api.MapPost("/auth/login", LoginAsync).Accepts<Credentials>("application/json")
            .Documented<LoggedIn>("Log in for an access token (JWT), sent as Authorization: Bearer <token>", 400, 401, 413, 415, 429);
        api.MapGet("/users/me", MeAsync).RequireAuthorization().Documented<UserView>("The signed-in user", 401);
        api.MapGet("/users", UsersAsync).RequireAuthorization().Documented<UserListed[]>("Every user, to call one, and who is online", 401);
        return app;
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, UserStore users, TimeProvider time, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<Credentials>(request, Json);
        if (error is not null) return error;
        if (body?.Username is not { } username || !UserName().IsMatch(username))
            return InvalidUsername();
        if (body.Password is not { Length: >= 8 and <= 128 })
            return ApiError.Result(400, "invalid_password", "The password must be 8 to 128 characters long.");
        var user = await users.AddAsync(username, Hasher.HashPassword(null!, body.Password), time.GetUtcNow(), ct);
        return user is null
            ? ApiError.Result(409, "username_taken", $"The user name '{username}' is taken.")
            : Results.Json(new UserView(user.Id, user.Username), Json);
    }

    private static async Task<IResult> LoginAsync(HttpRequest request, UserStore users, Tokens tokens, LoginThrottle throttle, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<Credentials>(request, Json);
        if (error is not null) return error;
        if (string.IsNullOrEmpty(body?.Username) || string.IsNullOrEmpty(body.Password))
            return ApiError.Result(400, "invalid_request", "Send {\"username\": \"...\", \"password\": \"...\"}.");
        // No account has such a name; checked before the name keys the throttle's buckets.
        if (!UserName().IsMatch(body.Username))
            return InvalidUsername();
        if (throttle.Refuse(request.HttpContext, body.Username) is { } slowDown) return slowDown;
        var user = await users.FindByNameAsync(body.Username, ct);
        var verdict = user is null ? PasswordVerificationResult.Failed : Hasher.VerifyHashedPassword(user, user.PasswordHash, body.Password);
        // The same answer for an unknown name and a wrong password: nobody learns which names exist.
        if (user is null || verdict == PasswordVerificationResult.Failed)
        {
            throttle.Failed(body.Username);
            return ApiError.Result(401, "invalid_credentials", "Wrong user name or password.");
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
            await users.UpdateHashAsync(user.Id, Hasher.HashPassword(user, body.Password), ct);
        return Results.Json(new LoggedIn(tokens.Issue(user)), Json);
    }

    private static async Task<IResult> MeAsync(ClaimsPrincipal principal, UserStore users, CancellationToken ct) =>
        await users.FindAsync(UserId(principal), ct) is { } user
            ? Results.Json(new UserView(user.Id, user.Username), Json)
            : ApiError.Result(401, "unauthorized", "This account no longer exists.");

    private static async Task<IResult> UsersAsync(UserStore users, IRequiredActor<UserDirectory> directory, IOptions<ZvonimOptions> options,
        CancellationToken ct)
    {
        var all = await users.AllAsync(ct);
        var timeout = options.Value.Signaling.RequestTimeout;
        var online = await Task.WhenAll(all.Select(async u =>
        {
            try
            {
                return (await directory.ActorRef.Ask<Presence>(new GetPresence(u.Id.ToString()), timeout, ct)).Online;
            }
            catch (AskTimeoutException)
            {
                return false; // a presence that cannot answer now is shown offline rather than failing the list
            }
        }));
        return Results.Json(all.Select((u, i) => new UserListed(u.Id, u.Username, online[i])), Json);
    }

    public static Guid UserId(ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;

    private static IResult InvalidUsername() =>
        ApiError.Result(400, "invalid_username", "The user name must be 3 to 32 letters, digits, '.', '_' or '-'.");

    [GeneratedRegex("^[A-Za-z0-9._-]{3,32}$")]
    private static partial Regex UserName();
}
