using Akka.Actor;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// How many calls this node runs in a cluster, against <c>zvonim.max-calls</c> (the <c>Limits:MaxCalls</c> setting): the
/// node that would host a new call refuses it when full, as a single node's <see cref="Calls.CallManager"/> does. Calls
/// brought back from a dead node are always taken: refusing them would lose them.
/// </summary>
public sealed class NodeCalls : IExtension
{
    private int _count;

    public NodeCalls(ExtendedActorSystem system) =>
        Max = system.Settings.Config.GetInt("zvonim.max-calls", int.MaxValue);

    public int Max { get; }

    public int Count => Volatile.Read(ref _count);

    public static NodeCalls Get(ActorSystem system) => system.WithExtension<NodeCalls, NodeCallsProvider>();

    public bool TryAdd()
    {
        if (Interlocked.Increment(ref _count) <= Max) return true;
        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Add() => Interlocked.Increment(ref _count);

    public void Remove() => Interlocked.Decrement(ref _count);
}

public sealed class NodeCallsProvider : ExtensionIdProvider<NodeCalls>
{
    public override NodeCalls CreateExtension(ExtendedActorSystem system) => new(system);
}
