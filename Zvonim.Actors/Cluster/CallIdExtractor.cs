using Akka.Cluster.Sharding;
using Zvonim.Actors.Calls;

namespace Zvonim.Actors.Cluster;

/// <summary>Routes every call command to the entity named by its call id.</summary>
public sealed class CallIdExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => message is ICallCommand command ? command.CallId : null;
}
