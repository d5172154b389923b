using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Media.Sfu;
using ShardPassivate = Akka.Cluster.Sharding.Passivate;

namespace Zvonim.Actors.Media;

/// <summary>Addressed to a seed-001 room by its key (chat-1, group-1): routed by the node's rooms or the shard region.</summary>
public interface IMediaRoomCommand : IDeadLetterSuppression
{
    string RoomKey { get; }
}

/// <summary>A socket joins room <paramref name="RoomKey"/> as <paramref name="SessionId"/>: the room answers
/// <paramref name="Socket"/> with <see cref="MediaRoomJoined"/> (a new session, or the one it continues) or refuses it.</summary>
public sealed record JoinMediaRoom(string RoomKey, string SessionId, string UserId, IActorRef Socket) : IMediaRoomCommand;

/// <summary>Closes the sockets of <paramref name="UserId"/> in the room (everyone's when null): they lost their place.</summary>
public sealed record EvictFromRoom(string RoomKey, string? UserId) : IMediaRoomCommand;

/// <summary>To a socket: its frames go to <paramref name="Session"/> from now on.</summary>
public sealed record MediaRoomJoined(string RoomKey, string SessionId, IActorRef Session) : ISocketCommand;

// Within the room's node: between the room and its sessions (its children, next to the media engine).

/// <summary>The tracks a session sends now (all of them, replacing what it said before).</summary>
public sealed record TracksPublished(IReadOnlyList<PublishedTrack> Tracks) : INoSerializationVerificationNeeded;

/// <summary>To a session: every track the others in its room send now.</summary>
public sealed record RoomTracks(IReadOnlyList<PublishedTrack> Tracks) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>To a session: speak through <paramref name="Socket"/> from now on (a reconnect, a reload).</summary>
public sealed record AdoptSocket(IActorRef Socket) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>To a session: it is out of the room (removed from the group).</summary>
public sealed record SessionEvicted(string Reason) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>What every room of a node shares: its cap, the grace a dropped socket gets, and the node's media engine
/// (made at the first session that needs it). <paramref name="SessionsPerUser"/>: sessions one user may hold in a room
/// at once (a phone and a laptop); every session makes the forwarder send everyone's media once more, so one account
/// opening dozens would cost the whole room's CPU. <paramref name="InactivityTimeout"/>: a session that has not offered
/// media by then is closed, as the engine closes media gone silent (null: never).</summary>
public sealed record MediaRoomSettings(int Capacity, TimeSpan ReconnectGrace, Func<MediaEngine> Engine, int SessionsPerUser = int.MaxValue,
    TimeSpan? InactivityTimeout = null);

/// <summary>
/// One seed-001 call room, on the node that holds its media: its sessions (children, each one browser's connection
/// with the forwarder) and what each publishes. Whenever that changes, every session is told the tracks of all the
/// others, and its own negotiation works out what to add or drop. Made at the first join; when the last session is
/// gone it asks its parent (the node's <see cref="MediaRooms"/>, or its shard) to stop it, and sends back any join
/// that reaches it after that, to be served by its successor.
/// </summary>
public sealed class MediaRoomActor : ReceiveActor
{
    private sealed record Member(string SessionId, string UserId, IActorRef Session)
    {
        public IReadOnlyList<PublishedTrack> Tracks { get; set; } = [];
    }

    private readonly string _key;
    private readonly MediaRoomSettings _settings;
    private readonly IActorRef _rooms;
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _stopping;
    private long _sessions;

    /// <param name="rooms">Where joins are addressed (the node's rooms, or the shard region): a join that arrives after
    /// this room asked to stop goes back there.</param>
    public static Props Props(string key, MediaRoomSettings settings, IActorRef rooms) =>
        ActorFactory.Props(() => new MediaRoomActor(key, settings, rooms));

    public MediaRoomActor(string key, MediaRoomSettings settings, IActorRef rooms)
    {
        _key = key;
        _settings = settings;
        _rooms = rooms;
        Receive<JoinMediaRoom>(OnJoin);
        Receive<TracksPublished>(published =>
        {
            if (Find(Sender) is not { } member) return;
            member.Tracks = published.Tracks;
            Broadcast();
        });
        Receive<EvictFromRoom>(evict =>
        {
            foreach (var member in _members.Values.Where(m => evict.UserId is null || m.UserId == evict.UserId).ToList())
                member.Session.Tell(new SessionEvicted("You are no longer a member of this chat or group."));
            StopIfEmpty(); // an eviction may be what made the room, in a cluster
        });
        Receive<Terminated>(terminated =>
        {
            if (Find(terminated.ActorRef) is not { } member) return;
            _members.Remove(member.SessionId);
            _log.Info("Session {peer_id} left media room {call_id}", member.SessionId, _key);
            if (!StopIfEmpty()) Broadcast();
        });
    }

    private void OnJoin(JoinMediaRoom join)
    {
        if (_stopping)
        {
            _rooms.Forward(join);
            return;
        }
        if (_members.TryGetValue(join.SessionId, out var previous))
        {
            if (previous.UserId != join.UserId)
            {
                Refuse(join.Socket, Refusal.Forbidden, "This sessionId is someone else's: choose another.");
                return;
            }
            // A reconnect (a dropped socket, a reload) continues its session, media and all, through the new socket.
            // Told before the socket hears it joined, so the session knows it before any frame of the socket's.
            previous.Session.Tell(new AdoptSocket(join.Socket));
            join.Socket.Tell(new MediaRoomJoined(_key, join.SessionId, previous.Session));
            return;
        }
        if (_members.Values.Count(m => m.UserId == join.UserId) >= _settings.SessionsPerUser)
        {
            Refuse(join.Socket, Refusal.Full, $"You are in this call from {_settings.SessionsPerUser} devices already; leave on one of them first.");
            StopIfEmpty();
            return;
        }
        if (_members.Count >= _settings.Capacity)
        {
            Refuse(join.Socket, Refusal.Full, $"This call has its limit of {_settings.Capacity} participants.");
            StopIfEmpty();
            return;
        }
        // Named by a counter: ids come from the client and may hold anything.
        var session = Context.ActorOf(MediaSessionActor.Props(_key, join.SessionId, join.UserId, join.Socket, _settings), $"session-{++_sessions}");
        _members[join.SessionId] = new Member(join.SessionId, join.UserId, session);
        Context.Watch(session);
        _log.Info("Session {peer_id} of user {UserId} joined media room {call_id}", join.SessionId, join.UserId, _key);
        join.Socket.Tell(new MediaRoomJoined(_key, join.SessionId, session));
        Broadcast();
    }

    private static void Refuse(IActorRef socket, Refusal refusal, string message)
    {
        socket.Tell(new ErrorToSocket(ErrorCodes.For(refusal), message));
        socket.Tell(new CloseSocket(CloseReason.Refused, message, refusal));
    }

    /// <summary>An empty room asks its parent to stop it: the node's <see cref="MediaRooms"/> and a shard both hold
    /// what comes for it meanwhile and start a new room if a join does.</summary>
    private bool StopIfEmpty()
    {
        if (_members.Count > 0 || _stopping) return _members.Count == 0;
        _stopping = true;
        Context.Parent.Tell(new ShardPassivate(PoisonPill.Instance));
        return true;
    }

    private Member? Find(IActorRef session) => _members.Values.FirstOrDefault(m => Equals(m.Session, session));

    private void Broadcast()
    {
        foreach (var member in _members.Values)
        {
            var others = _members.Values.Where(m => m != member).SelectMany(m => m.Tracks).ToList();
            member.Session.Tell(new RoomTracks(others));
        }
    }
}
