namespace Zvonim.Actors.Rooms;

public enum CallStatus
{
    Waiting,
    Active,
    Ended,
    /// <summary>A directed call whose callee is being rung (see <see cref="RoomPolicy.RingTimeout"/>).</summary>
    Ringing,
}

/// <summary>Why a directed call ended, as both sides are told.</summary>
public enum EndReason
{
    /// <summary>Answered, then hung up by either side.</summary>
    Completed,
    /// <summary>The caller hung up before an answer.</summary>
    Canceled,
    Rejected,
    /// <summary>Nobody answered within the ring timeout.</summary>
    NoAnswer,
    /// <summary>The callee had no device online to ring.</summary>
    Unavailable,
    /// <summary>A connection was lost past its grace (or never made).</summary>
    Failed,
}

/// <summary>What happens to the call when a participant leaves (or its reconnect grace runs out).</summary>
public enum LeaveBehavior
{
    /// <summary>The call ends for everyone (apiv2's MVP choice).</summary>
    EndCall,
    /// <summary>The others stay; the call goes back to waiting when one is left.</summary>
    KeepOpen,
}

/// <summary>
/// The room rules as data: every dialect feeds its own policy to the one rule set in <see cref="RoomState"/>.
/// A plain record, so it travels inside actor messages.
/// </summary>
public sealed record RoomPolicy
{
    /// <summary>Which API the call belongs to ("call", "link-room", "group-room"); another API's requests do not see it.</summary>
    public string Kind { get; init; } = "call";

    public int Capacity { get; init; } = 2;

    public LeaveBehavior OnLeave { get; init; } = LeaveBehavior.EndCall;

    /// <summary>With <see cref="LeaveBehavior.KeepOpen"/>: whether the last one out ends the call.</summary>
    public bool EndWhenEmpty { get; init; } = true;

    /// <summary>A call with no connected socket for this long ends itself.</summary>
    public TimeSpan IdleTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A dropped participant keeps its slot this long; reconnecting with the same peer id resumes.</summary>
    public TimeSpan ReconnectGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A participant who joined but never opened a socket gives its slot back after this long.</summary>
    public TimeSpan FirstConnectTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>An ended call still answers status queries this long, then it is gone (404).</summary>
    public TimeSpan EndedRetention { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Peer ids are shown to everyone in the room (group rooms list them), so an id alone does not prove who
    /// is asking: acting as a participant takes its secret, or the address it joined from.</summary>
    public bool PublicPeerIds { get; init; }

    /// <summary>With <see cref="LeaveBehavior.KeepOpen"/>: a seat taken over REST but never connected is held this long;
    /// after that, when the room is full, it goes to a newcomer. Joins that never connect cannot keep people out.</summary>
    public TimeSpan? SeatHold { get; init; }

    /// <summary>Absolute lifetime from creation (rooms by link), or none.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>Set for a directed call (seed 002): two named seats, caller and callee; the callee's devices ring this
    /// long, and the call is active only once the callee accepts. Hanging up ends it for both.</summary>
    public TimeSpan? RingTimeout { get; init; }

    public bool IsDirected => RingTimeout is not null;
}
