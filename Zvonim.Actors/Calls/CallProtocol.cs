using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Calls;

// The call's public protocol: plain records addressed by call id, so that a later clustered mode can route them
// to whichever node holds the call.

/// <summary>A message the <see cref="CallManager"/> routes to the call named by <see cref="CallId"/>.</summary>
public interface ICallCommand
{
    string CallId { get; }

    /// <summary>When set, only a call of this <see cref="RoomPolicy.Kind"/> answers; others are "not found".</summary>
    string? Kind => null;
}

/// <summary>Every answer a call (or the manager on its behalf) gives to a command. An answer that finds its asker gone
/// (a PeerActor whose socket closed with its <c>leave</c>, an HTTP request that already timed out) is normal, not a
/// fault: it is not logged as a dead letter.</summary>
public interface ICallReply : IDeadLetterSuppression;

/// <summary>Creates a call under <paramref name="Policy"/>; with a <paramref name="Creator"/>, that person joins it at once.
/// A directed call (<see cref="RoomPolicy.IsDirected"/>) also names its <paramref name="Callee"/>, who is rung.</summary>
public sealed record CreateCall(RoomPolicy Policy, JoinAs? Creator = null, Invitee? Callee = null);

/// <summary>The callee of a directed call: a signed-in user, whose seat is theirs from the start.</summary>
public sealed record Invitee(string PeerId, string? DisplayName);

/// <summary>In a cluster: starts the call <paramref name="CallId"/> (minted by the node that took the request) as a
/// sharded entity, then hands it <paramref name="Create"/>, whose reply goes to the original asker.</summary>
public sealed record StartCall(string CallId, CreateCall Create) : ICallCommand;

/// <param name="From">The client's address, which a room with public peer ids remembers (see <see cref="Credentials"/>).</param>
/// <param name="PeerId">A seat named by the server (a signed-in user's id) rather than a fresh id.</param>
public sealed record JoinAs(string? DisplayName, string? From = null, string? PeerId = null);

/// <summary>
/// Who may act as a participant in a room whose peer ids are public (<see cref="RoomPolicy.PublicPeerIds"/>, the
/// group rooms, where every user id is listed): the holder of its <paramref name="Secret"/> (handed out once, with
/// the join), or, for clients that never heard of it, a request from the address that joined.
/// </summary>
public sealed record Credentials(string? Secret, string? From);

public sealed record GetCall(string CallId, string? Kind = null) : ICallCommand, INotInfluenceReceiveTimeout;

public sealed record JoinCall(string CallId, string? DisplayName = null, string? Kind = null, string? From = null) : ICallCommand;

public sealed record LeaveCall(string CallId, string PeerId, string? Kind = null, Credentials? As = null) : ICallCommand;

/// <summary>
/// Sent by a <see cref="Peers.PeerActor"/> for its socket. Only a known participant is admitted, unless
/// <paramref name="JoinIfAbsent"/> (dialects whose only join is the socket): then a missing or unknown peer id joins
/// under a fresh id, which <see cref="PeerAdmitted.PeerId"/> tells. A client cannot pick its own id. In a directed
/// call, <paramref name="Answer"/> is the callee's accept: the socket that sends it is the one the call goes to.
/// </summary>
public sealed record AttachPeer(string CallId, string? PeerId, bool JoinIfAbsent = false, string? DisplayName = null, string? Kind = null,
    Credentials? As = null, bool Answer = false) : ICallCommand;

/// <param name="Secret">The creator's secret, in rooms whose peer ids are public.</param>
public sealed record CallCreated(string CallId, string? PeerId, CallSnapshot Snapshot, string? Secret = null) : ICallReply;

public sealed record CallJoined(string CallId, string PeerId, CallSnapshot Snapshot, string? Secret = null) : ICallReply;

public sealed record CallLeft(string CallId, string PeerId, CallSnapshot Snapshot) : ICallReply;

public sealed record CallInfo(CallSnapshot Snapshot) : ICallReply;

/// <param name="Existing">With <see cref="Refusal.Glare"/>: the call the other side placed, to accept instead.</param>
public sealed record CallRefused(string CallId, Refusal Reason, string Message, string? Existing = null) : ICallReply
{
    public static CallRefused NotFound(string callId) => new(callId, Refusal.NotFound, $"'{Ids.Shorten(callId)}' does not exist or has expired.");

    /// <summary>The call's record could not be read (a cluster's store unreachable): answered as the server being busy,
    /// which clients retry.</summary>
    public static CallRefused Unreadable(string callId) =>
        new(callId, Refusal.AtCapacity, $"'{Ids.Shorten(callId)}' cannot be looked up right now; try again in a moment.");

    public static CallRefused AtCapacity(int calls) =>
        new("", Refusal.AtCapacity, $"The server is carrying its limit of {calls} calls and rooms; try again in a while.");
}

/// <summary>The other participants as a newly admitted socket should see them; <see cref="PeerLink.Peer"/> is set for
/// those whose socket is open.</summary>
public sealed record PeerAdmitted(string CallId, string PeerId, CallSnapshot Snapshot, IReadOnlyList<PeerLink> Others) : ICallReply;

public sealed record PeerLink(string PeerId, string? DisplayName, IActorRef? Peer);
