using Microsoft.Extensions.Options;

namespace Zvonim.Web.Settings;

/// <summary>Checked at start: a bad setting stops the server with one clear line instead of failing later.</summary>
public sealed class ZvonimOptionsValidator : IValidateOptions<ZvonimOptions>
{
    public ValidateOptionsResult Validate(string? name, ZvonimOptions options)
    {
        var failures = new List<string>();
        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero) failures.Add($"Zvonim:{key} must be a positive duration (got {value}).");
        }

        void Timings(RoomTimingOptions room, string section)
        {
            Positive(room.IdleTtl, $"{section}:IdleTtl");
            Positive(room.ReconnectGrace, $"{section}:ReconnectGrace");
            Positive(room.FirstConnectTimeout, $"{section}:FirstConnectTimeout");
            Positive(room.EndedRetention, $"{section}:EndedRetention");
        }

        Timings(options.Calls, "Calls");
        Timings(options.GroupRooms, "GroupRooms");
        Positive(options.GroupRooms.SeatHold, "GroupRooms:SeatHold");
        if (options.GroupRooms.Capacity is < 2 or > 50)
            failures.Add($"Zvonim:GroupRooms:Capacity must be between 2 and 50 (got {options.GroupRooms.Capacity}).");
        var direct = options.DirectCalls;
        if (direct.RingTimeout < TimeSpan.FromSeconds(5) || direct.RingTimeout > TimeSpan.FromMinutes(5))
            failures.Add($"Zvonim:DirectCalls:RingTimeout must be between 5 seconds and 5 minutes (got {direct.RingTimeout}).");
        Positive(direct.ReconnectGrace, "DirectCalls:ReconnectGrace");
        Positive(direct.EndedRetention, "DirectCalls:EndedRetention");
        if (options.Sfu.Port is < 0 or > 65535) failures.Add($"Zvonim:Sfu:Port must be 0-65535 (got {options.Sfu.Port}).");
        Positive(options.Sfu.ReconnectGrace, "Sfu:ReconnectGrace");
        Positive(options.Sfu.InactivityTimeout, "Sfu:InactivityTimeout");
        if (options.Sfu.MaxParticipants < 0) failures.Add($"Zvonim:Sfu:MaxParticipants must be 0 (no limit) or more (got {options.Sfu.MaxParticipants}).");
        if (options.Sfu.MaxSessionsPerUser is < 1 or > 1000)
            failures.Add($"Zvonim:Sfu:MaxSessionsPerUser must be between 1 and 1000 (got {options.Sfu.MaxSessionsPerUser}).");
        foreach (var address in options.Sfu.Addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!System.Net.IPAddress.TryParse(address, out _)) failures.Add($"Zvonim:Sfu:Addresses must be IP addresses, comma-separated (got '{address}').");
        }
        if (options.Store.WriteDelay < TimeSpan.Zero || options.Store.WriteDelay > TimeSpan.FromSeconds(1))
            failures.Add($"Zvonim:Store:WriteDelay must be between 0 and 1 second (got {options.Store.WriteDelay}).");
        var links = options.LinkRooms;
        Positive(links.Ttl, "LinkRooms:Ttl");
        Positive(links.ReconnectGrace, "LinkRooms:ReconnectGrace");
        if (links.PublicBaseUrl is { Length: > 0 } baseUrl
            && !(Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            failures.Add($"Zvonim:LinkRooms:PublicBaseUrl must be an absolute http(s) URL (got '{baseUrl}').");

        if (options.Stun.Port is < 0 or > 65535)
            failures.Add($"Zvonim:Stun:Port must be 0-65535 (got {options.Stun.Port}).");
        if (options.Stun.RequestsPerMinute < 1)
            failures.Add($"Zvonim:Stun:RequestsPerMinute must be at least 1 (got {options.Stun.RequestsPerMinute}).");
        if (ProxyOptions.Parse(options.Proxy.TrustedProxies) is null)
            failures.Add($"Zvonim:Proxy:TrustedProxies must be addresses or networks (10.0.0.0/8), comma-separated (got '{options.Proxy.TrustedProxies}').");

        var accounts = options.Accounts;
        if (accounts.SigningKey is { Length: > 0 } key && !(IsBase64(key, out var keyBytes) && keyBytes >= 32))
            failures.Add("Zvonim:Accounts:SigningKey must be base64 of at least 32 bytes (openssl rand -base64 32).");
        if (options.Cluster.Enabled && string.IsNullOrEmpty(accounts.SigningKey))
            failures.Add("Zvonim:Accounts:SigningKey is required in cluster mode: every node must sign and check tokens with the same key.");
        Positive(accounts.TokenLifetime, "Accounts:TokenLifetime");
        if (accounts.LoginsPerMinutePerAddress < 1 || accounts.LoginsPerMinutePerUser < 1)
            failures.Add("Zvonim:Accounts:LoginsPerMinutePerAddress and LoginsPerMinutePerUser must be at least 1.");
        else if (accounts.FailedLoginsPerMinutePerUser is { } failed && failed <= accounts.LoginsPerMinutePerUser)
            failures.Add($"Zvonim:Accounts:FailedLoginsPerMinutePerUser must be more than LoginsPerMinutePerUser ({accounts.LoginsPerMinutePerUser}), "
                + "or one address could lock a user out of signing in.");

        var cluster = options.Cluster;
        if (cluster.Enabled)
        {
            if (ClusterSettings.ParseEndpoint($"{cluster.Hostname}:{cluster.Port}") is null)
                failures.Add($"Zvonim:Cluster:Hostname and Port must be a host name or address and a port 1-65535 (got '{cluster.Hostname}:{cluster.Port}').");
            if (cluster.SeedNodes.Count == 0)
                failures.Add("Zvonim:Cluster:SeedNodes must list at least one node as host:port (the first node may list itself).");
            foreach (var seed in cluster.SeedNodes.Where(s => ClusterSettings.ParseEndpoint(s) is null))
                failures.Add($"Zvonim:Cluster:SeedNodes entries must be host:port (got '{seed}').");
            if (cluster.RecordSweepInterval <= TimeSpan.Zero)
                failures.Add($"Zvonim:Cluster:RecordSweepInterval must be positive (got {cluster.RecordSweepInterval}).");
        }

        var signaling = options.Signaling;
        if (signaling.MaxMessageBytes is < 1024 or > 16 * 1024 * 1024)
            failures.Add($"Zvonim:Signaling:MaxMessageBytes must be between 1024 and 16777216 (got {signaling.MaxMessageBytes}).");
        if (signaling.SendQueueLimit is < 8 or > 100_000)
            failures.Add($"Zvonim:Signaling:SendQueueLimit must be between 8 and 100000 (got {signaling.SendQueueLimit}).");
        if (signaling.SendQueueBytesLimit < 4L * signaling.MaxMessageBytes)
            failures.Add($"Zvonim:Signaling:SendQueueBytesLimit must be at least 4 x MaxMessageBytes (got {signaling.SendQueueBytesLimit}).");
        if (signaling.PendingLimit is < 1 or > 100_000)
            failures.Add($"Zvonim:Signaling:PendingLimit must be between 1 and 100000 (got {signaling.PendingLimit}).");
        Positive(signaling.KeepAliveInterval, "Signaling:KeepAliveInterval");
        Positive(signaling.KeepAliveTimeout, "Signaling:KeepAliveTimeout");
        Positive(signaling.RequestTimeout, "Signaling:RequestTimeout");
        if (signaling.StallTimeout is { } stall)
        {
            Positive(stall, "Signaling:StallTimeout");
            if (stall >= signaling.KeepAliveTimeout)
                failures.Add($"Zvonim:Signaling:StallTimeout must be shorter than KeepAliveTimeout (got {stall} and {signaling.KeepAliveTimeout}).");
        }

        Positive(signaling.MessageTimeout, "Signaling:MessageTimeout");

        var limits = options.Limits;
        void Range(int value, int min, int max, string key)
        {
            if (value < min || value > max) failures.Add($"Zvonim:Limits:{key} must be between {min} and {max} (got {value}).");
        }
        Range(limits.MaxJsonBodyBytes, 1024, 1024 * 1024, "MaxJsonBodyBytes");
        Range(limits.CreatesPerMinute, 1, 1_000_000, "CreatesPerMinute");
        Range(limits.RoomLinksPerDay, 1, 1_000_000, "RoomLinksPerDay");
        Range(limits.JoinsPerMinute, 1, 1_000_000, "JoinsPerMinute");
        Range(limits.SocketsPerMinute, 1, 1_000_000, "SocketsPerMinute");
        Range(limits.MissesPerMinute, 1, 1_000_000, "MissesPerMinute");
        Range(limits.MaxSocketsPerAddress, 1, 1_000_000, "MaxSocketsPerAddress");
        Range(limits.MaxConnectionsPerAddress, 2, 1_000_000, "MaxConnectionsPerAddress");
        Range(limits.MaxCalls, 1, 10_000_000, "MaxCalls");
        if (limits.MaxPendingBytes < 1024 * 1024)
            failures.Add($"Zvonim:Limits:MaxPendingBytes must be at least 1048576 (got {limits.MaxPendingBytes}).");
        if (limits.MaxSendQueueBytes < signaling.SendQueueBytesLimit)
            failures.Add($"Zvonim:Limits:MaxSendQueueBytes must be at least Signaling:SendQueueBytesLimit (got {limits.MaxSendQueueBytes}).");
        if (signaling.PendingBytesLimit < signaling.MaxMessageBytes)
            failures.Add($"Zvonim:Signaling:PendingBytesLimit must be at least MaxMessageBytes (got {signaling.PendingBytesLimit}).");
        Range(limits.MaxInvalidMessagesPerMinute, 1, 100_000, "MaxInvalidMessagesPerMinute");

        var turn = options.Turn;
        foreach (var url in turn.StunUrls.Where(u => !u.StartsWith("stun:", StringComparison.Ordinal) && !u.StartsWith("stuns:", StringComparison.Ordinal)))
            failures.Add($"Zvonim:Turn:StunUrls: '{url}' must start with stun: or stuns:.");
        foreach (var url in turn.TurnUrls.Where(u => !u.StartsWith("turn:", StringComparison.Ordinal) && !u.StartsWith("turns:", StringComparison.Ordinal)))
            failures.Add($"Zvonim:Turn:TurnUrls: '{url}' must start with turn: or turns:.");
        if (turn.TurnUrls.Count > 0 && string.IsNullOrEmpty(turn.Secret) && (string.IsNullOrEmpty(turn.Username) || string.IsNullOrEmpty(turn.Credential)))
            failures.Add("Zvonim:Turn: TurnUrls need either a Secret (time-limited credentials) or a Username and Credential.");
        if (turn.CredentialTtl < TimeSpan.FromMinutes(1))
            failures.Add($"Zvonim:Turn:CredentialTtl must be at least one minute (got {turn.CredentialTtl}).");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsBase64(string text, out int bytes)
    {
        var buffer = new byte[text.Length];
        var ok = Convert.TryFromBase64String(text, buffer, out bytes);
        return ok;
    }
}
