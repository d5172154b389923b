using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Media;

// Seed 001 between a call socket's actor (MediaSocketActor, on the node that holds the socket) and its session
// (MediaSessionActor, on the node that holds the room's media). In a cluster these cross nodes: each is listed in
// ProtocolSerializer.

/// <summary>What a seed-001 socket says, already read by its dialect; from the socket's actor to its session.</summary>
public interface ISessionMessage : IDeadLetterSuppression;

/// <summary><c>join</c>: the client names its session (a reconnect with the same id within the grace resumes).</summary>
public sealed record SessionJoin(string? SessionId) : ISessionMessage;

/// <summary>The browser's offer: its own tracks (and, later, any renegotiation it starts).</summary>
public sealed record SessionOffer(string Sdp) : ISessionMessage;

/// <summary>The browser's answer to an offer the server made.</summary>
public sealed record SessionAnswer(string Sdp) : ISessionMessage;

public sealed record SessionLeave : ISessionMessage;

/// <summary>What a session (or its room) tells the socket it speaks through.</summary>
public interface ISocketCommand : IDeadLetterSuppression;

/// <summary>An offer or answer of the server's for the browser.</summary>
public sealed record DescribeToSocket(string Type, string Sdp, string SessionId) : ISocketCommand;

/// <summary>An error frame for the browser; the socket stays open.</summary>
public sealed record ErrorToSocket(string Code, string Message) : ISocketCommand;

/// <summary>Closes the socket after what it already has to send. <paramref name="Refusal"/> is set for a refusal.</summary>
public sealed record CloseSocket(CloseReason Reason, string Message, Refusal? Refusal = null) : ISocketCommand;

/// <summary>An offer or answer from the server to the browser, as the socket's dialect renders it.</summary>
public sealed record SessionDescriptionEvent(string Type, string Sdp, string SessionId) : PeerEvent;
