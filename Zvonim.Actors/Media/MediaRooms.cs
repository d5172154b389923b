using Akka.Actor;

namespace Zvonim.Actors.Media;

/// <summary>
/// The node's seed-001 call rooms: a <see cref="MediaRoomActor"/> child per room key, made at its first join. An
/// empty room is forgotten first and then stopped behind what was already forwarded to it; a session whose room
/// stopped under it (it joined just then) sees it go and joins again, into a new room.
/// </summary>
public sealed class MediaRooms : ReceiveActor
{
    public const string Name = "media-rooms";

    private readonly Dictionary<string, IActorRef> _rooms = new(StringComparer.Ordinal);
    private long _made;

    public static Props Props(int capacity) => ActorFactory.Props(() => new MediaRooms(capacity));

    public MediaRooms(int capacity)
    {
        Receive<JoinMediaRoom>(join =>
        {
            if (!_rooms.TryGetValue(join.RoomKey, out var room))
            {
                // Named by a counter too: a room being stopped may still hold its key's name.
                room = Context.ActorOf(MediaRoomActor.Props(join.RoomKey, capacity), $"{join.RoomKey}-{++_made}");
                _rooms[join.RoomKey] = room;
            }
            room.Forward(join);
        });
        Receive<EvictFromRoom>(evict =>
        {
            if (_rooms.TryGetValue(evict.RoomKey, out var room)) room.Forward(evict);
        });
        Receive<MediaRoomEmpty>(empty =>
        {
            if (!_rooms.TryGetValue(empty.RoomKey, out var room) || !Equals(room, Sender)) return;
            _rooms.Remove(empty.RoomKey);
            room.Tell(PoisonPill.Instance);
        });
    }
}
