using Zvonim.Actors.Rooms;

namespace Zvonim.Web.Settings;

/// <summary>The "Zvonim" configuration section (appsettings.json, or environment variables such as
/// <c>Zvonim__Turn__Secret</c>).</summary>
public sealed class ZvonimOptions
{
    public const string Section = "Zvonim";

    public CallOptions Calls { get; set; } = new();

    public LinkRoomOptions LinkRooms { get; set; } = new();

    public GroupRoomOptions GroupRooms { get; set; } = new();

    public DirectCallOptions DirectCalls { get; set; } = new();

    public SfuOptions Sfu { get; set; } = new();

    public SignalingOptions Signaling { get; set; } = new();

    public TurnOptions Turn { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public ClusterSettings Cluster { get; set; } = new();

    public ProxyOptions Proxy { get; set; } = new();

    public StoreOptions Store { get; set; } = new();

    public StunOptions Stun { get; set; } = new();

    public AccountOptions Accounts { get; set; } = new();
}

/// <summary>Accounts and their access tokens (seed 002).</summary>
public sealed class AccountOptions
{
    /// <summary>The key access tokens are signed with, base64, at least 32 bytes (<c>openssl rand -base64 32</c>).
    /// Required in a cluster (every node the same); a single node without one makes one and keeps it beside its
    /// database. Never logged.</summary>
    public string? SigningKey { get; set; }

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    public int LoginsPerMinutePerAddress { get; set; } = 30;

    /// <summary>Sign-in attempts one address may make for one user name.</summary>
    public int LoginsPerMinutePerUser { get; set; } = 10;

    /// <summary>Failed sign-ins for one user name from all addresses together; unset, six times
    /// <see cref="LoginsPerMinutePerUser"/>. More than that, so that one address cannot spend it alone (at equal
    /// rates one address would empty it as fast as it refills).</summary>
    public int? FailedLoginsPerMinutePerUser { get; set; }

    public int EffectiveFailedLoginsPerMinutePerUser => FailedLoginsPerMinutePerUser ?? 6 * LoginsPerMinutePerUser;
}

/// <summary>The STUN responder Zvonim runs itself, so that calls across NATs work with nothing else installed.</summary>
public sealed class StunOptions
{
    /// <summary>On, off, or (unset) on when Zvonim listens beyond localhost.</summary>
    public bool? Enabled { get; set; }

    /// <summary>The UDP port (on every interface); 0 picks a free one.</summary>
    public int Port { get; set; } = 3478;

    /// <summary>Binding requests answered per source address per minute; more are dropped.</summary>
    public int RequestsPerMinute { get; set; } = 600;
}

/// <summary>Where a single node keeps its calls and room links across restarts.</summary>
public sealed class StoreOptions
{
    /// <summary>The SQLite database file, relative to the content root (the working directory of a published server);
    /// empty keeps nothing (every call and link is forgotten on restart).</summary>
    public string Path { get; set; } = "zvonim.db";

    /// <summary>A PostgreSQL connection string (Npgsql's form): calls are kept there instead. In a cluster every node
    /// gives the same one, and a call whose node died, or a whole cluster restarted, finds its record there. Never
    /// logged.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Single node: how long changes of calls are gathered before they are written in one transaction. A crash
    /// of the process may lose this much (a stop writes them); zero writes each burst at once. A cluster writes at once,
    /// as a call whose shard moves to another node reads its record from the database. 100 ms gathers most of a setup's
    /// changes into one row (a setup takes 20–50 ms on a busy node).</summary>
    public TimeSpan WriteDelay { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// What one client may take of the node, and the node's own ceilings. A client is a remote address. The defaults are
/// far above what a person does (a 50-person office behind one NAT making calls, reloading and reconnecting) and far
/// below what a flood needs.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>The per-address limits as configuration keys (with <paramref name="separator"/> ":" or "__" for
    /// environment variables), lifted: for a load generator or a test that plays many clients from one address.</summary>
    public static IEnumerable<KeyValuePair<string, string>> PerAddressLifted(string separator) =>
        new[] { "CreatesPerMinute", "JoinsPerMinute", "SocketsPerMinute", "MissesPerMinute", "RoomLinksPerDay", "MaxSocketsPerAddress", "MaxConnectionsPerAddress" }
            .Select(key => KeyValuePair.Create($"Zvonim{separator}Limits{separator}{key}", "1000000"));

    /// <summary>Largest JSON request body; a larger one is answered 413.</summary>
    public int MaxJsonBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Calls and rooms one address may create per minute (a burst of this many, then one per 60/N s).</summary>
    public int CreatesPerMinute { get; set; } = 60;

    /// <summary>Room links (seed 004) one address may create per day, on top of <see cref="CreatesPerMinute"/>: a link
    /// lasts for days unused and counts under <see cref="MaxCalls"/>, so at a minute's allowance one address could hold
    /// the node's whole limit within days. 500 a day and 7-day links keep one address under 4 000.</summary>
    public int RoomLinksPerDay { get; set; } = 500;

    /// <summary>Joins (apiv2 join, group-room join) one address may make per minute.</summary>
    public int JoinsPerMinute { get; set; } = 120;

    /// <summary>WebSockets one address may open per minute.</summary>
    public int SocketsPerMinute { get; set; } = 240;

    /// <summary>Lookups of ids that do not exist one address may make per minute; past it, every lookup is 429.</summary>
    public int MissesPerMinute { get; set; } = 120;

    /// <summary>TCP connections one address may hold open at once (HTTP and WebSocket); more are closed as they arrive.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 1000;

    /// <summary>WebSockets one address may hold open at once.</summary>
    public int MaxSocketsPerAddress { get; set; } = 200;

    /// <summary>Bytes of frames held for participants not connected yet, on the whole node; past it, a frame that
    /// would be held is dropped and its sender told (queue_full).</summary>
    public long MaxPendingBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Bytes queued for slow readers on the whole node, all sockets together; past it, a socket that queues
    /// more is congested (its senders pause reading) until it drains. Nothing is dropped.</summary>
    public long MaxSendQueueBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Live calls and rooms on this node (all kinds); past it, creating one answers 503. About 5 KB each. Ended
    /// calls, kept for <c>Calls:EndedRetention</c> to answer "ended", do not count; the node holds at most this many of
    /// them as well, and the oldest go first.</summary>
    public int MaxCalls { get; set; } = 100_000;

    /// <summary>Invalid messages a socket may send in a minute (each answered with an error frame); one more closes it
    /// with 1008.</summary>
    public int MaxInvalidMessagesPerMinute { get; set; } = 30;
}

public enum WhenPeerLeaves
{
    End,
    Waiting,
}

/// <summary>The timings every kind of room has.</summary>
public abstract class RoomTimingOptions
{
    public TimeSpan IdleTtl { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan FirstConnectTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan EndedRetention { get; set; } = TimeSpan.FromMinutes(5);

    protected RoomPolicy Timings() => new()
    {
        IdleTtl = IdleTtl,
        ReconnectGrace = ReconnectGrace,
        FirstConnectTimeout = FirstConnectTimeout,
        EndedRetention = EndedRetention,
    };
}

/// <summary>Room rules of apiv2 calls (seed 000).</summary>
public sealed class CallOptions : RoomTimingOptions
{
    public const string Kind = "call";

    public WhenPeerLeaves WhenPeerLeaves { get; set; } = WhenPeerLeaves.End;

    public RoomPolicy ToPolicy() => Timings() with
    {
        Kind = Kind,
        Capacity = 2,
        OnLeave = WhenPeerLeaves == WhenPeerLeaves.End ? LeaveBehavior.EndCall : LeaveBehavior.KeepOpen,
        EndWhenEmpty = true,
    };
}

/// <summary>Rooms by link (seed 004): two people, a link that lives for <see cref="Ttl"/>.</summary>
public sealed class LinkRoomOptions
{
    public const string Kind = "link-room";

    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Base of the links handed out, e.g. "https://call.example.org"; by default the request's own.</summary>
    public string? PublicBaseUrl { get; set; }

    public RoomPolicy ToPolicy() => new()
    {
        Kind = Kind,
        Capacity = 2,
        OnLeave = LeaveBehavior.KeepOpen,
        EndWhenEmpty = false, // the link stays usable until it expires
        IdleTtl = Ttl,
        Lifetime = Ttl,
        ReconnectGrace = ReconnectGrace,
        FirstConnectTimeout = ReconnectGrace, // joining is connecting: nobody joins without a socket
        EndedRetention = TimeSpan.FromMinutes(1),
    };
}

/// <summary>Group rooms (seed 003): a mesh of up to <see cref="Capacity"/> people.</summary>
public sealed class GroupRoomOptions : RoomTimingOptions
{
    public const string Kind = "group-room";

    /// <summary>A browser mesh degrades past about six people.</summary>
    public int Capacity { get; set; } = 6;

    /// <summary>A seat taken over REST and never connected is held this long; then, in a full room, a newcomer gets it.</summary>
    public TimeSpan SeatHold { get; set; } = TimeSpan.FromSeconds(30);

    public RoomPolicy ToPolicy() => Timings() with
    {
        Kind = Kind,
        Capacity = Capacity,
        OnLeave = LeaveBehavior.KeepOpen,
        EndWhenEmpty = true,
        PublicPeerIds = true, // /info and user-joined list every user id
        SeatHold = SeatHold,
    };
}

/// <summary>Calls from one signed-in user to another (seed 002).</summary>
public sealed class DirectCallOptions
{
    public const string Kind = Zvonim.Actors.Users.DeviceActor.Kind;

    /// <summary>How long the callee's devices ring before the call ends unanswered (no_answer).</summary>
    public TimeSpan RingTimeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>A dropped socket keeps its seat in an answered call this long.</summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An ended call still answers GET /calls/{id} this long.</summary>
    public TimeSpan EndedRetention { get; set; } = TimeSpan.FromMinutes(5);

    public RoomPolicy ToPolicy() => new()
    {
        Kind = Kind,
        Capacity = 2,
        OnLeave = LeaveBehavior.EndCall,
        RingTimeout = RingTimeout,
        ReconnectGrace = ReconnectGrace,
        // Each side's socket comes after the answer, which comes within the ring timeout.
        FirstConnectTimeout = RingTimeout + ReconnectGrace,
        IdleTtl = RingTimeout + ReconnectGrace,
        EndedRetention = EndedRetention,
    };
}

/// <summary>The media forwarder of chat and group calls (seed 001).</summary>
public sealed class SfuOptions
{
    /// <summary>The one UDP port every session's media uses (open it in the firewall); 0 picks a free one.</summary>
    public int Port { get; set; } = 3480;

    /// <summary>The addresses browsers reach that port at, comma-separated (a public address behind NAT); empty: the
    /// machine's own addresses, loopback included.</summary>
    public string Addresses { get; set; } = "";

    /// <summary>People in one call at most (forwarding costs CPU per receiver); 0: no limit, as seed 001 says.</summary>
    public int MaxParticipants { get; set; }

    /// <summary>Sessions one user may hold in one call at once (several devices); one more is refused (call_full).</summary>
    public int MaxSessionsPerUser { get; set; } = 4;

    /// <summary>A session whose socket dropped keeps its media this long: a reconnect with its sessionId continues it.</summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A media connection silent this long (no ICE consent check, no packet) is closed, its socket too; so is a
    /// call socket that has not joined by then, or a session that has not offered.</summary>
    public TimeSpan InactivityTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class SignalingOptions
{
    /// <summary>Largest WebSocket message accepted; a larger one closes the socket with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Frames waiting to be written to one socket. At a quarter of it the socket is congested and the read
    /// loops of those who send to it pause until it drains; past all of it the socket is closed (1008).</summary>
    public int SendQueueLimit { get; set; } = 512;

    /// <summary>Bytes waiting to be written to one socket, the same way: congested at a quarter, closed past all.</summary>
    public long SendQueueBytesLimit { get; set; } = 8L * 1024 * 1024;

    /// <summary>A congested socket that completes no send for this long is closed (1008): its client stopped reading.
    /// Must be shorter than <see cref="KeepAliveTimeout"/>, so that the paused senders' own keep-alives are not missed;
    /// unset, it is half of it (10 s by default).</summary>
    public TimeSpan? StallTimeout { get; set; }

    public TimeSpan EffectiveStallTimeout => StallTimeout ?? KeepAliveTimeout / 2;

    /// <summary>Whether a settled call's frames go from the read loop straight to the receivers' sockets
    /// (<c>RelayLane</c>) rather than through both PeerActors. Measured: less CPU per frame and a lower p99 at moderate
    /// load, about 9 % more CPU per frame when one core is saturated (docs/benchmarks.md).</summary>
    public bool RelayLane { get; set; } = true;

    /// <summary>Frames held for a participant whose socket is not open yet.</summary>
    public int PendingLimit { get; set; } = 256;

    /// <summary>Bytes one socket may have held for participants not connected yet (all of them together).</summary>
    public int PendingBytesLimit { get; set; } = 1024 * 1024;

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A socket that does not answer a ping within this long is dead.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A WebSocket message that has started must be complete within this long, or the socket is closed (1008).</summary>
    public TimeSpan MessageTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an HTTP request waits for its call to answer.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class TurnOptions
{
    /// <summary>STUN servers, e.g. "stun:stun.example.org:3478".</summary>
    public List<string> StunUrls { get; set; } = [];

    /// <summary>TURN servers, e.g. "turn:turn.example.org:3478?transport=udp".</summary>
    public List<string> TurnUrls { get; set; } = [];

    /// <summary>coturn's static-auth-secret: enables time-limited credentials (REST scheme). Never logged.</summary>
    public string? Secret { get; set; }

    public TimeSpan CredentialTtl { get; set; } = TimeSpan.FromHours(4);

    /// <summary>Static credentials, used when no secret is set.</summary>
    public string? Username { get; set; }

    public string? Credential { get; set; }
}

/// <summary>The reverse proxies in front of Zvonim whose forwarded headers are believed.</summary>
public sealed class ProxyOptions
{
    /// <summary>Addresses and networks (CIDR) of trusted proxies, comma-separated; empty trusts none. A request from one
    /// of them is taken to come from the client its <c>X-Forwarded-For</c> names, over the scheme and host of
    /// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>: for the links handed out, the per-client limits and the
    /// logs. A string rather than a list: configuration binding adds to a list's defaults instead of replacing them.</summary>
    public string TrustedProxies { get; set; } = "127.0.0.1,::1";

    /// <summary>The trusted networks; null if an entry is neither an address nor a network.</summary>
    public static IReadOnlyList<System.Net.IPNetwork>? Parse(string? trusted)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in (trusted ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (System.Net.IPNetwork.TryParse(entry, out var network)) networks.Add(network);
            else if (System.Net.IPAddress.TryParse(entry, out var address))
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else return null;
        }
        return networks;
    }
}
