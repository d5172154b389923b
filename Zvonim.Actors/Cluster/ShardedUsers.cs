using Akka.Actor;
using Akka.Cluster.Sharding;
using Zvonim.Actors.Users;

namespace Zvonim.Actors.Cluster;

/// <summary>A cluster node's stand-in for <see cref="UserDirectory"/>: each user's presence is a sharded entity, so
/// every node reaches every user's devices wherever their sockets are.</summary>
public sealed class ShardedUsers : ReceiveActor
{
    public static Props Props(IActorRef region) => ActorFactory.Props(() => new ShardedUsers(region));

    public ShardedUsers(IActorRef region) => Receive<IUserCommand>(region.Forward);
}

/// <summary>Routes every user command to the presence named by its user id.</summary>
public sealed class UserIdExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => message is IUserCommand command ? command.UserId : null;
}
