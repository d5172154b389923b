using Akka.Actor;
using Akka.Event;
using Zvonim.Media.Sfu;

namespace Zvonim.Actors.Media;

// Between the sessions of a seed-001 call room and the room: node-local (the room's media lives on one node).

/// <summary>A session joins room <paramref name="RoomKey"/> (chat-1, group-1) as <paramref name="SessionId"/>.</summary>
public sealed record JoinMediaRoom(string RoomKey, string SessionId, string UserId, IActorRef Session) : INoSerializationVerificationNeeded;

public sealed record MediaRoomJoined(string RoomKey) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

public sealed record MediaRoomFull(string RoomKey, int Capacity) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>The tracks a session sends now (all of them, replacing what it said before).</summary>
public sealed record TracksPublished(IReadOnlyList<PublishedTrack> Tracks) : INoSerializationVerificationNeeded;

/// <summary>To a session: every track the others in its room send now.</summary>
public sealed record RoomTracks(IReadOnlyList<PublishedTrack> Tracks) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>Closes the sockets of <paramref name="UserId"/> in the room (everyone's when null): they lost their place.</summary>
public sealed record EvictFromRoom(string RoomKey, string? UserId) : INoSerializationVerificationNeeded;

/// <summary>To a new socket's session actor: its session id is held by <paramref name="Owner"/>, whose socket dropped
/// (or is about to be replaced): the new socket continues that session.</summary>
public sealed record ResumeWith(IActorRef Owner) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>From a new socket's session actor to the session it continues: send to the browser through this socket
/// from now on.</summary>
public sealed record AdoptSocket(Peers.IPeerConnection Connection) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>From a room to the node's <see cref="MediaRooms"/>: it has nobody left.</summary>
public sealed record MediaRoomEmpty(string RoomKey) : INoSerializationVerificationNeeded;

/// <summary>To a session: it is out of the room (removed from the group, replaced by a newer socket with its id).</summary>
public sealed record SessionEvicted(string Reason) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>
/// One seed-001 call room: its sessions and what each publishes. Whenever that changes, every session is told the
/// tracks of all the others, and its own negotiation works out what to add or drop. Made at the first join, gone when
/// the last session leaves.
/// </summary>
public sealed class MediaRoomActor : ReceiveActor
{
    private sealed record Member(string SessionId, string UserId, IActorRef Session)
    {
        public IReadOnlyList<PublishedTrack> Tracks { get; set; } = [];
    }

    private readonly string _key;
    private readonly int _capacity;
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props(string key, int capacity) => ActorFactory.Props(() => new MediaRoomActor(key, capacity));

    public MediaRoomActor(string key, int capacity)
    {
        _key = key;
        _capacity = capacity;
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
        });
        Receive<Terminated>(terminated =>
        {
            if (Find(terminated.ActorRef) is not { } member) return;
            _members.Remove(member.SessionId);
            _log.Info("Session {peer_id} left media room {call_id}", member.SessionId, _key);
            if (_members.Count == 0) Context.Parent.Tell(new MediaRoomEmpty(_key));
            else Broadcast();
        });
    }

    private void OnJoin(JoinMediaRoom join)
    {
        if (_members.TryGetValue(join.SessionId, out var previous))
        {
            if (Equals(previous.Session, join.Session)) return;
            if (previous.UserId != join.UserId)
            {
                join.Session.Tell(new SessionEvicted("This sessionId is someone else's: choose another."));
                return;
            }
            // A reconnect (a dropped socket, a reload) continues its session, media and all, through the new socket.
            join.Session.Tell(new ResumeWith(previous.Session));
            return;
        }
        if (_members.Count >= _capacity)
        {
            Sender.Tell(new MediaRoomFull(_key, _capacity));
            return;
        }
        _members[join.SessionId] = new Member(join.SessionId, join.UserId, join.Session);
        Context.Watch(join.Session);
        _log.Info("Session {peer_id} of user {UserId} joined media room {call_id}", join.SessionId, join.UserId, _key);
        join.Session.Tell(new MediaRoomJoined(_key));
        Broadcast();
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
