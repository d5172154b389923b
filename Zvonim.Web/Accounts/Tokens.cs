using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Accounts;

/// <summary>
/// Access tokens: JWT signed with HMAC-SHA256 under the node's key (<c>Zvonim:Accounts:SigningKey</c>; a single node
/// without one makes a key and keeps it beside its database, so tokens outlive a restart; every node of a cluster
/// must be given the same one). The subject is the user's id; the lifetime a setting.
/// </summary>
public sealed class Tokens
{
    public const string Issuer = "zvonim";
    public const string KeyFile = "zvonim.jwt-key";

    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public Tokens(IOptions<ZvonimOptions> options, IHostEnvironment environment, TimeProvider time)
    {
        _time = time;
        _lifetime = options.Value.Accounts.TokenLifetime;
        Key = new SymmetricSecurityKey(KeyBytes(options.Value, environment.ContentRootPath));
    }

    public SymmetricSecurityKey Key { get; }

    public TokenValidationParameters Validation => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Issuer,
        IssuerSigningKey = Key,
        ClockSkew = Skew,
        NameClaimType = JwtRegisteredClaimNames.UniqueName,
        // On the host's clock, like every other deadline (and so tested in virtual time).
        LifetimeValidator = (notBefore, expires, _, _) =>
        {
            var now = _time.GetUtcNow().UtcDateTime;
            return (notBefore is null || now + Skew >= notBefore) && expires is { } end && now - Skew < end;
        },
    };

    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    public string Issue(User user)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, user.Id.ToString()), new Claim(JwtRegisteredClaimNames.UniqueName, user.Username)]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _lifetime,
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }

    private static byte[] KeyBytes(ZvonimOptions options, string contentRoot)
    {
        if (options.Accounts.SigningKey is { Length: > 0 } configured) return Convert.FromBase64String(configured);
        if (string.IsNullOrWhiteSpace(options.Store.Path)) return RandomNumberGenerator.GetBytes(32); // nothing is kept: nor is the key
        var file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.Store.Path, contentRoot))!, KeyFile);
        if (File.Exists(file)) return Convert.FromBase64String(File.ReadAllText(file).Trim());
        var key = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(file, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }
}
