using Zvonim.Actors.Calls;
using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Peers;

public enum SignalKind
{
    Offer,
    Answer,
    IceCandidate,
}

/// <summary>
/// Everything addressed to a <see cref="PeerActor"/>. A PeerActor stops as soon as its socket closes, so frames and
/// news still on their way to it then are the normal end of a call, not a fault: they are not logged as dead letters.
/// </summary>
public interface IPeerMessage : IDeadLetterSuppression;

// From the socket's edge to its PeerActor.

/// <summary>A signalling frame from the client, already checked by the dialect. <paramref name="To"/> is null for
/// "every other participant". <paramref name="Frame"/> is relayed as it is; the server never reads the SDP.</summary>
public sealed record ClientSignal(SignalKind Kind, string? To, byte[] Frame) : IPeerMessage;

/// <summary>The client announced itself (<c>join</c>); it is answered with the current state.</summary>
public sealed record ClientHello : IPeerMessage;

public sealed record ClientLeave : IPeerMessage;

/// <summary>The socket is gone (closed by the client, dropped, or failed).</summary>
public sealed record SocketClosed(string Reason) : IPeerMessage;

/// <summary>The socket's send queue passed its high-water mark (true) or drained again (false).</summary>
public sealed record SocketCongestion(bool Congested) : IPeerMessage;

// Between the call and its peers.


public sealed record MemberJoined(string PeerId, string? DisplayName) : IPeerMessage;

public sealed record PeerConnected(string PeerId, string? DisplayName, IActorRef Peer) : IPeerMessage;

public sealed record PeerDisconnected(string PeerId) : IPeerMessage;

// Between two PeerActors of one node, to open a <see cref="RelayLane"/>.

/// <summary>Asks another participant's PeerActor, on this node, for its socket, to write frames to it directly. Never
/// leaves the node, so it has no serializer manifest (unlike the <see cref="IPeerMessage"/>s).</summary>
public sealed record OpenRoute : IDeadLetterSuppression, INoSerializationVerificationNeeded
{
    public static readonly OpenRoute Instance = new();
}

/// <summary>The answer to <see cref="OpenRoute"/>, sent only once this socket has been welcomed and after every frame
/// the asker told it before asking. Holds a live object: never leaves the node.</summary>
public sealed record RouteOpened(string PeerId, IPeerConnection Sink) : IDeadLetterSuppression, INoSerializationVerificationNeeded;

public sealed record MemberLeft(string PeerId) : IPeerMessage;

/// <summary>Flow control between peers: <paramref name="PeerId"/>'s socket cannot take more for now (or can again).
/// Whoever sends to it pauses reading its own client meanwhile, so an overloaded receiver slows its senders down
/// instead of losing their frames.</summary>
public sealed record PeerCongestion(string PeerId, bool Congested) : IPeerMessage;

public sealed record CallStateChanged(CallSnapshot Snapshot) : IPeerMessage;

/// <summary>The call is over: the socket says so and closes.</summary>
public sealed record CallEnded(CallSnapshot Snapshot) : IPeerMessage;

/// <summary>The same peer id connected again on a newer socket; this one closes.</summary>
public sealed record Superseded : IPeerMessage;

/// <summary>This participant left (or was dropped for good); its socket closes.</summary>
public sealed record RemovedFromCall(CallSnapshot Snapshot) : IPeerMessage;

// From a PeerActor to its socket's edge, which renders them in the dialect's words.

public abstract record PeerEvent;

/// <summary>First event of an admitted socket: who it is in this call.</summary>
public sealed record WelcomeEvent(string PeerId, CallSnapshot Snapshot) : PeerEvent;

public sealed record StateEvent(CallSnapshot Snapshot) : PeerEvent;

public sealed record MemberJoinedEvent(string PeerId, string? DisplayName) : PeerEvent;

/// <param name="WasThereFirst">The other was already connected when this socket arrived (told on admission), as
/// opposed to arriving after it. Dialects where whoever was there first makes the offer need the difference.</param>
public sealed record PeerConnectedEvent(string PeerId, string? DisplayName, bool WasThereFirst = false) : PeerEvent;

public sealed record PeerLeftEvent(string PeerId) : PeerEvent;

/// <summary>A participant's frame on its way: sent from the sender's PeerActor to each receiver's, which hands the
/// same object to its socket (one object per relayed message).</summary>
public sealed record SignalEvent(string FromPeerId, SignalKind Kind, byte[] Frame) : PeerEvent, IPeerMessage;

public sealed record ErrorEvent(string Code, string Message) : PeerEvent;

public enum CloseReason
{
    LeftCall,
    CallEnded,
    Superseded,
    Refused,
    ServerStopping,
    /// <summary>The client kept asking about calls it may not be in (closed 1008, policy violation).</summary>
    TooManyRefusals,
}

/// <summary>The socket side of a <see cref="PeerActor"/>; implemented at the edge, never blocks.</summary>
public interface IPeerConnection
{
    /// <summary>Queues an event for the client. A full queue closes the socket (the edge decides how).</summary>
    void Send(PeerEvent peerEvent);

    /// <summary>Closes the socket after what is already queued. <paramref name="refusal"/> is set for <see cref="CloseReason.Refused"/>.</summary>
    void Close(CloseReason reason, string message, Refusal? refusal = null);

    /// <summary>Stops (or resumes) reading the client's frames; the client's own TCP window then slows it down.</summary>
    void PauseReading(bool paused);

    /// <summary>Pending while the socket cannot take more (past its high-water mark); completes when it has drained or
    /// closed. A <see cref="RelayLane"/>'s reader waits on it, as fast as the socket itself knows.</summary>
    Task WhenWritable => Task.CompletedTask;

    /// <summary>The actor has handled one of the client's frames (whatever it sent on is queued). A connection whose
    /// reader bounds how far it reads ahead through another actor (a device's call, see <see cref="ReadAhead"/>) is
    /// told here; a socket's own reader counts through its <see cref="RelayLane"/>.</summary>
    void ClientMessageHandled()
    {
    }
}
