using Akka.Actor;
using Zvonim.Actors.Calls;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// A cluster node's stand-in for <see cref="CallManager"/>: the endpoints and PeerActors send it the same messages,
/// and it hands each to the shard region, which finds the node that holds the call. New calls get their id here, on
/// the node that took the request, so that the id decides where the call lives.
/// </summary>
public sealed class ShardedCalls : ReceiveActor
{
    public static Props Props(IActorRef region) => ActorFactory.Props(() => new ShardedCalls(region));

    public ShardedCalls(IActorRef region)
    {
        Receive<CreateCall>(create => region.Forward(new StartCall(Ids.New(), create)));
        Receive<ICallCommand>(region.Forward);
        Receive<GetCallCount>(_ => Sender.Tell(new CallCount(NodeCalls.Get(Context.System).Count), Self)); // this node's
    }
}
