using Akka.Cluster.Sharding;
using Zvonim.Actors.Media;

namespace Zvonim.Actors.Cluster;

/// <summary>Routes every seed-001 room command to the room named by its key (chat-1, group-1).</summary>
public sealed class MediaRoomKeyExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => message is IMediaRoomCommand command ? command.RoomKey : null;
}
