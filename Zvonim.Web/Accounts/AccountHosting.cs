using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Accounts;

public static class AccountHosting
{
    /// <summary>Accounts in the calls' database, JWT bearer authentication on the host's clock (so token expiry is
    /// tested in virtual time), and a JSON 401 like every other error.</summary>
    public static IServiceCollection AddZvonimAccounts(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ZvonimOptions>>().Value;
            // A cluster keeps its users where its calls are: the shared PostgreSQL (a node's own file would split them).
            return new UserStore(options.Cluster.Enabled
                ? CallDatabase.Postgres(options.Store)
                : CallDatabase.For(options.Store, sp.GetRequiredService<IHostEnvironment>().ContentRootPath));
        });
        services.AddSingleton<Tokens>();
        services.AddSingleton<Chats.ChatStore>();
        services.AddSingleton<Chats.CallEvictions>();
        services.AddSingleton<ChatCalls.MediaForwarder>();
        services.AddSingleton<LoginThrottle>();
        // Tokens are read only where an endpoint requires them (its policy names the scheme). With a default scheme,
        // every request would run the JWT handler, the call and room routes that need no account included: 1.9 % of a
        // setup's server CPU, measured. ASP.NET Core makes a lone scheme the default unless told not to.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthorization(authorization => authorization.DefaultPolicy =
            new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build());
        services.AddAuthentication().AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<Tokens, TimeProvider>((jwt, tokens, time) =>
        {
            jwt.TokenValidationParameters = tokens.Validation;
            jwt.TimeProvider = time;
            jwt.MapInboundClaims = false;
            jwt.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    if (!context.Request.Headers.ContainsKey("Authorization")) context.Token = AccessTokens.FromWebSocketRequest(context.HttpContext);
                    return Task.CompletedTask;
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    var expired = context.AuthenticateFailure is Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException
                        or Microsoft.IdentityModel.Tokens.SecurityTokenInvalidLifetimeException;
                    await ApiError.Result(401, "unauthorized", expired
                        ? "The access token has expired: log in again."
                        : "Send a valid access token: Authorization: Bearer <token> (POST /api/v1/auth/login gives one).").ExecuteAsync(context.HttpContext);
                },
            };
        });
        return services;
    }
}
