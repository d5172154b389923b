using Akka.Actor;
using ShardPassivate = Akka.Cluster.Sharding.Passivate;

namespace Zvonim.Actors.Media;

/// <summary>
/// A single node's seed-001 call rooms: a <see cref="MediaRoomActor"/> child per room key, made at its first join. It
/// plays the part a shard plays in a cluster: a room that asks to stop (<see cref="ShardPassivate"/>) is stopped, what
/// comes for its key meanwhile waits, and a new room takes it once the old one is gone.
/// </summary>
public sealed class MediaRooms : ReceiveActor
{
    public const string Name = "media-rooms";

    private readonly MediaRoomSettings _settings;
    private readonly Dictionary<string, IActorRef> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, (string Key, List<(object Message, IActorRef Sender)> Waiting)> _stopping = [];
    private long _made;

    public static Props Props(MediaRoomSettings settings) => ActorFactory.Props(() => new MediaRooms(settings));

    public MediaRooms(MediaRoomSettings settings)
    {
        _settings = settings;
        Receive<IMediaRoomCommand>(command => Deliver(command, Sender));
        Receive<ShardPassivate>(passivate =>
        {
            var room = Sender;
            if (_stopping.ContainsKey(room)) return;
            var key = _rooms.FirstOrDefault(r => Equals(r.Value, room)).Key;
            if (key is null) return;
            _rooms.Remove(key);
            _stopping[room] = (key, []);
            Context.Watch(room);
            room.Tell(passivate.StopMessage);
        });
        Receive<Terminated>(terminated =>
        {
            if (!_stopping.Remove(terminated.ActorRef, out var stopped)) return;
            foreach (var (message, sender) in stopped.Waiting) Deliver((IMediaRoomCommand)message, sender);
        });
    }

    private void Deliver(IMediaRoomCommand command, IActorRef sender)
    {
        foreach (var stopping in _stopping.Values)
        {
            if (stopping.Key != command.RoomKey) continue;
            stopping.Waiting.Add((command, sender));
            return;
        }
        if (!_rooms.TryGetValue(command.RoomKey, out var room))
        {
            if (command is not JoinMediaRoom) return; // nobody is in a room that does not exist
            // Named by a counter too: room keys are ours, but a counter never collides with a room being stopped.
            room = Context.ActorOf(MediaRoomActor.Props(command.RoomKey, _settings, Self), $"{command.RoomKey}-{++_made}");
            _rooms[command.RoomKey] = room;
        }
        room.Tell(command, sender);
    }
}
