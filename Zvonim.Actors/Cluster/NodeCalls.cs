using Akka.Actor;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// How many calls this node runs in a cluster, against <c>zvonim.max-calls</c> (the <c>Limits:MaxCalls</c> setting): the
/// node that would host a new call refuses it when full, as a single node's <see cref="Calls.CallManager"/> does. Calls
/// brought back from a dead node are always taken: refusing them would lose them. Ended calls, kept for their retention
/// to answer about themselves, do not count; the node holds at most as many of them, and the oldest retire early.
/// </summary>
public sealed class NodeCalls : IExtension
{
    private int _count;
    private readonly Calls.EndedCalls<IActorRef> _ended = new(); // their entities; guarded by itself

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

    /// <summary>A call that ended: no longer counted as running, and held among the ended ones. Returns the entities
    /// of the oldest ended calls past <see cref="Max"/>, which are to retire now.</summary>
    public IReadOnlyList<IActorRef> Ended(string callId, IActorRef entity)
    {
        Remove();
        lock (_ended)
        {
            _ended.Add(callId, entity);
            List<IActorRef>? retire = null;
            while (_ended.TryTakeOldest(Max, out _, out var retiring)) (retire ??= []).Add(retiring);
            return retire ?? [];
        }
    }

    /// <summary>An ended call's entity is gone.</summary>
    public void Gone(string callId)
    {
        lock (_ended) _ended.Remove(callId);
    }
}

public sealed class NodeCallsProvider : ExtensionIdProvider<NodeCalls>
{
    public override NodeCalls CreateExtension(ExtendedActorSystem system) => new(system);
}
