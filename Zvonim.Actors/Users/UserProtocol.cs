using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Users;

// Signed-in users' presence (seed 002): which sockets ("devices") each user has open, and which directed call holds
// their line. Addressed by user id, so that in a cluster any node reaches any user's devices.

/// <summary>A message for the presence of the user named by <see cref="UserId"/>.</summary>
public interface IUserCommand
{
    string UserId { get; }
}

/// <summary>An answer to a user command, or news for a device: one that finds its asker gone is normal.</summary>
public interface IUserReply : IDeadLetterSuppression;

/// <summary>A device (a <see cref="DeviceActor"/>) of the user opened; it is told <see cref="DeviceRegistered"/>.</summary>
public sealed record RegisterDevice(string UserId, IActorRef Device) : IUserCommand;

public sealed record DeviceRegistered(string UserId) : IUserReply;

/// <summary>
/// A directed call takes the user's line for itself, as caller (<paramref name="Calling"/>) or callee of
/// <paramref name="OtherUserId"/>. Answered <see cref="LineClaimed"/> or <see cref="LineBusy"/>. A call claims both
/// lines in the order of the user ids, so two calls racing for the same two people never hold one line each.
/// </summary>
public sealed record ClaimLine(string UserId, string CallId, string OtherUserId, bool Calling) : IUserCommand;

public sealed record LineClaimed(string UserId, string CallId) : IUserReply;

/// <param name="HeldBy">The call holding the line.</param>
/// <param name="Glare">That call joins the same two people the other way round: both called each other at once.</param>
public sealed record LineBusy(string UserId, string CallId, string HeldBy, bool Glare) : IUserReply;

/// <summary>A call that could not claim both lines gives back the one it holds, without telling anyone.</summary>
public sealed record ReleaseLine(string UserId, string CallId) : IUserCommand;

/// <summary>Rings every device of the user; answered <see cref="Rang"/> with how many there were.</summary>
public sealed record RingUser(string UserId, IncomingCall Call) : IUserCommand;

public sealed record Rang(string UserId, string CallId, int Devices) : IUserReply;

/// <summary>Tells every device of the user; a <see cref="CallOver"/> also frees the line that call held.</summary>
public sealed record TellUser(string UserId, IUserNotice Notice) : IUserCommand;

public sealed record GetPresence(string UserId) : IUserCommand;

public sealed record Presence(string UserId, bool Online) : IUserReply;

/// <summary>News for every device of a user. Polymorphic in JSON, since <see cref="TellUser"/> carries any of them
/// between nodes.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$n")]
[JsonDerivedType(typeof(IncomingCall), "incoming")]
[JsonDerivedType(typeof(CallAnswered), "answered")]
[JsonDerivedType(typeof(AnsweredElsewhere), "elsewhere")]
[JsonDerivedType(typeof(CallOver), "over")]
public interface IUserNotice : IUserReply
{
    string CallId { get; }
}

public sealed record IncomingCall(string CallId, string FromUserId, string? FromName) : IUserNotice;

/// <summary>To the caller's devices: the callee accepted.</summary>
public sealed record CallAnswered(string CallId) : IUserNotice;

/// <summary>To the callee's devices: one of them accepted; the others stop ringing.</summary>
public sealed record AnsweredElsewhere(string CallId) : IUserNotice;

public sealed record CallOver(string CallId, EndReason Reason) : IUserNotice;
