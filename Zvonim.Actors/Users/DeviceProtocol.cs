using Akka.Actor;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Users;

// From a signed-in socket's edge to its DeviceActor: what the client said, already checked by the dialect.

/// <summary>A <c>webrtc:*</c> frame for the call <paramref name="CallId"/>, relayed as it is to the other side.</summary>
public sealed record DeviceSignal(string CallId, ClientSignal Signal) : IPeerMessage;

/// <summary><c>call:accept</c> (<paramref name="Accept"/>) or <c>call:reject</c>.</summary>
public sealed record DeviceAnswer(string CallId, bool Accept) : IPeerMessage;

/// <summary><c>call:end</c>: hang up (the caller cancels, the callee rejects, or either ends an answered call).</summary>
public sealed record DeviceHangUp(string CallId) : IPeerMessage;

// From a DeviceActor to its socket's edge.

/// <summary>The socket is registered: calls to this user ring it from now on.</summary>
public sealed record ReadyEvent(string UserId) : PeerEvent;

public sealed record CallIncomingEvent(string CallId, string FromUserId, string? FromName) : PeerEvent;

/// <summary>To the caller: the callee accepted; the caller's device makes the offer.</summary>
public sealed record CallAcceptedEvent(string CallId) : PeerEvent;

/// <param name="Reason">completed, canceled, rejected, no_answer, unavailable, failed, or answered_elsewhere.</param>
public sealed record CallEndEvent(string CallId, string Reason) : PeerEvent;

/// <summary>An error about one call, so the client knows which.</summary>
public sealed record CallErrorEvent(string CallId, string Code, string Message) : PeerEvent;

/// <summary>A call's leg (a <see cref="PeerActor"/> under the device) has closed. <paramref name="Leg"/> is its connection,
/// which exists before its actor does: a leg refused at once may close before the device knows its actor.</summary>
internal sealed record LegClosed(string CallId, LegConnection Leg, CloseReason Reason, string Message, Refusal? Refusal, CallSnapshot? Last)
    : INoSerializationVerificationNeeded;

public static class EndReasons
{
    public const string AnsweredElsewhere = "answered_elsewhere";

    public static string Name(EndReason reason) => reason switch
    {
        EndReason.Completed => "completed",
        EndReason.Canceled => "canceled",
        EndReason.Rejected => "rejected",
        EndReason.NoAnswer => "no_answer",
        EndReason.Unavailable => "unavailable",
        _ => "failed",
    };
}
