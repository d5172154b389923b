using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;

namespace Zvonim.Actors.Media;

/// <summary>
/// A seed-001 call socket, on the node that holds it: it joins the room (wherever its media lives) under the client's
/// session id, then passes what the client says to its session and renders what the session says. Until the room
/// has answered the join, the client's frames wait, so a reloaded page's offer (sent right after its join) reaches the
/// session it continues. The session watches this actor: when the socket closes, it waits for the next one.
/// </summary>
public sealed class MediaSocketActor : UntypedActor, IWithUnboundedStash
{
    private readonly string _roomKey;
    private readonly string _userId;
    private readonly IActorRef _rooms;
    private readonly IPeerConnection _connection;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string? _sessionId;
    private IActorRef? _session;

    public IStash Stash { get; set; } = null!;

    /// <param name="rooms">Where rooms are reached: the node's <see cref="MediaRooms"/>, or the shard region.</param>
    public static Props Props(string roomKey, string userId, IActorRef rooms, IPeerConnection connection) =>
        ActorFactory.PropsOnce(() => new MediaSocketActor(roomKey, userId, rooms, connection));

    public MediaSocketActor(string roomKey, string userId, IActorRef rooms, IPeerConnection connection)
    {
        _roomKey = roomKey;
        _userId = userId;
        _rooms = rooms;
        _connection = connection;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SessionJoin join:
                Join(join.SessionId);
                break;
            case ISessionMessage when _session is null:
                Join(null); // a client that offers without joining first joins under a fresh session id
                Stash.Stash();
                break;
            case ISessionMessage:
                _session.Tell(message, Self);
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

    protected override void PostStop() => _connection.Close(CloseReason.ServerStopping, "The server is shutting down.");

    private void Join(string? sessionId)
    {
        if (_sessionId is not null) return; // one session per socket; a repeated join changes nothing
        _sessionId = sessionId is { Length: > 0 } ? sessionId : Ids.New();
        _rooms.Tell(new JoinMediaRoom(_roomKey, _sessionId, _userId, Self));
    }
}
