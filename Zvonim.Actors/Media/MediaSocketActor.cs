using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Media;

/// <summary>
/// A seed-001 call socket, on the node that holds it: it joins the room (wherever its media lives) under the client's
/// session id, then passes what the client says to its session and renders what the session says. Until the room
/// has answered the join, the client's frames wait, so a reloaded page's offer (sent right after its join) reaches the
/// session it continues. The session watches this actor: when the socket closes, it waits for the next one.
/// A socket may wait long between its upgrade and its join, so the right to join is asked again then
/// (<c>mayJoin</c>): someone removed from a group meanwhile has no session to evict yet, and is refused here instead.
/// </summary>
public sealed class MediaSocketActor : UntypedActor, IWithUnboundedStash
{
    private readonly string _roomKey;
    private readonly string _userId;
    private readonly IActorRef _rooms;
    private readonly IPeerConnection _connection;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<Task<bool>>? _mayJoin;
    private readonly TimeSpan? _joinTimeout;
    private readonly ReadAhead? _readAhead;
    private ICancelable? _joinTimer;
    private string? _sessionId;
    private IActorRef? _session;

    private sealed record JoinAllowed(bool Allowed, string? CheckFailed = null) : INoSerializationVerificationNeeded;

    private sealed record JoinTimedOut : INoSerializationVerificationNeeded;

    public IStash Stash { get; set; } = null!;

    /// <param name="rooms">Where rooms are reached: the node's <see cref="MediaRooms"/>, or the shard region.</param>
    /// <param name="mayJoin">Whether the user may still join, asked at the join (null: the right cannot change, as in
    /// a private chat).</param>
    /// <param name="joinTimeout">A socket that has not joined a session by then is closed (null: never).</param>
    /// <param name="readAhead">Shared with the socket's reader: each message it reads is given back once passed to the
    /// session, so that what waits for the room's answer (the stash) stays within <see cref="ReadAhead.Limit"/>.</param>
    public static Props Props(string roomKey, string userId, IActorRef rooms, IPeerConnection connection,
        Func<Task<bool>>? mayJoin = null, TimeSpan? joinTimeout = null, ReadAhead? readAhead = null) =>
        ActorFactory.PropsOnce(() => new MediaSocketActor(roomKey, userId, rooms, connection, mayJoin, joinTimeout, readAhead));

    public MediaSocketActor(string roomKey, string userId, IActorRef rooms, IPeerConnection connection,
        Func<Task<bool>>? mayJoin = null, TimeSpan? joinTimeout = null, ReadAhead? readAhead = null)
    {
        _readAhead = readAhead;
        _joinTimeout = joinTimeout;
        _roomKey = roomKey;
        _userId = userId;
        _rooms = rooms;
        _connection = connection;
        _mayJoin = mayJoin;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SessionJoin join:
                Join(join.SessionId);
                _readAhead?.Handled();
                break;
            case ISessionMessage when _session is null:
                Join(null); // a client that offers without joining first joins under a fresh session id
                Stash.Stash(); // given back to the reader once passed on
                break;
            case ISessionMessage:
                _session.Tell(message, Self);
                _readAhead?.Handled();
                break;
            case JoinAllowed { Allowed: true }:
                _rooms.Tell(new JoinMediaRoom(_roomKey, _sessionId!, _userId, Self));
                break;
            case JoinAllowed { CheckFailed: { } why }:
                _log.Warning("Could not check whether user {UserId} may join room {call_id}: {Error}", _userId, _roomKey, why);
                Refuse(Refusal.AtCapacity, "The server could not confirm your place in this call; join again in a moment.");
                break;
            case JoinAllowed:
                Refuse(Refusal.Forbidden, "You are no longer a member of this chat or group.");
                break;
            case JoinTimedOut when _session is null:
                _connection.Close(CloseReason.CallEnded, "Nothing came from this connection for too long; it is closed.");
                Context.Stop(Self);
                break;
            case JoinTimedOut:
                break;
            case MediaRoomJoined joined:
                _session = joined.Session;
                Context.Watch(_session);
                Stash.UnstashAll();
                break;
            case DescribeToSocket description:
                _connection.Send(new SessionDescriptionEvent(description.Type, description.Sdp, description.SessionId));
                break;
            case ErrorToSocket error:
                _connection.Send(new ErrorEvent(error.Code, error.Message));
                break;
            case CloseSocket close:
                _connection.Close(close.Reason, close.Message, close.Refusal);
                Context.Stop(Self);
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _session):
                // Its node left the cluster, or the room was moved: the client joins again, into a new session.
                _log.Info("Session {peer_id} of room {call_id} is gone; closing its socket", _sessionId, _roomKey);
                _connection.Close(CloseReason.CallEnded, "The session is over; join again to continue.");
                Context.Stop(Self);
                break;
            case SocketClosed:
                Context.Stop(Self);
                break;
            case SocketCongestion:
                break; // a few signalling frames per negotiation: nothing to slow down
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PreStart()
    {
        if (_joinTimeout is { } timeout)
            _joinTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(timeout, Self, new JoinTimedOut(), Self);
    }

    protected override void PostStop()
    {
        _readAhead?.Release(); // what is stashed or in the mailbox goes with the actor: the reader reads on to the close
        _joinTimer?.Cancel();
        _connection.Close(CloseReason.ServerStopping, "The server is shutting down.");
    }

    private void Refuse(Refusal refusal, string message)
    {
        _connection.Send(new ErrorEvent(ErrorCodes.For(refusal), message));
        _connection.Close(CloseReason.Refused, message, refusal);
        Context.Stop(Self);
    }

    private void Join(string? sessionId)
    {
        if (_sessionId is not null) return; // one session per socket; a repeated join changes nothing
        _sessionId = sessionId is { Length: > 0 } ? sessionId : Ids.New();
        if (_mayJoin is null)
        {
            _rooms.Tell(new JoinMediaRoom(_roomKey, _sessionId, _userId, Self));
            return;
        }
        // The client's frames wait in the stash meanwhile, as they do for the room's answer. A failed check refuses:
        // letting someone in because the database did not answer would be the hole this check closes.
        _mayJoin().PipeTo(Self, success: allowed => new JoinAllowed(allowed),
            failure: ex => new JoinAllowed(false, ex.Message));
    }
}
