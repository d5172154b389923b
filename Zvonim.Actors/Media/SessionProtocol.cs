using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;

namespace Zvonim.Actors.Media;

// Seed 001: from a call socket's edge to its MediaSessionActor (always on the socket's node).

/// <summary>What a seed-001 socket says, already read by its dialect.</summary>
public interface ISessionMessage : IDeadLetterSuppression, INoSerializationVerificationNeeded;

/// <summary><c>join</c>: the client names its session (a reconnect with the same id within the grace resumes).</summary>
public sealed record SessionJoin(string? SessionId) : ISessionMessage;

/// <summary>The browser's offer: its own tracks (and, later, any renegotiation it starts).</summary>
public sealed record SessionOffer(string Sdp) : ISessionMessage;

/// <summary>The browser's answer to an offer the server made.</summary>
public sealed record SessionAnswer(string Sdp) : ISessionMessage;

public sealed record SessionLeave : ISessionMessage;

/// <summary>An offer or answer from the server to the browser.</summary>
public sealed record SessionDescriptionEvent(string Type, string Sdp, string SessionId) : PeerEvent;
