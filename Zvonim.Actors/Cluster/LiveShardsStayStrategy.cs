using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// The media rooms' shard allocation: a new shard goes where Akka's least-shard strategy puts it (the region with
/// the fewest shards, not on a node that is leaving), but a rebalance moves only shards that hold no room
/// (<see cref="EmptyShardsRebalance"/>). Akka's own rebalance moves live shards to a node that joins, and a room
/// moved is a room whose participants' media connections all drop.
/// </summary>
/// <remarks>
/// Runs in the shard coordinator (one per cluster, on the oldest node). Before choosing, it asks the regions that could
/// give a shard (<see cref="GetShardRegionState"/>, answered by every region with its shards' entity ids) which of
/// their shards are empty; a region that does not answer in time gives nothing this round. A room made in a shard
/// between that answer and the hand-off is moved as before: its few seconds' window is the only one left.
/// </remarks>
public sealed class LiveShardsStayStrategy : IActorSystemDependentAllocationStrategy
{
    private static readonly IImmutableSet<string> Nothing = ImmutableHashSet<string>.Empty;

    private readonly string _typeName;
    private readonly IShardAllocationStrategy _leastShards;
    private readonly int _absoluteLimit;
    private readonly double _relativeLimit;
    private readonly TimeSpan _askTimeout;
    private Akka.Cluster.Cluster? _cluster;
    private ILoggingAdapter _log = NoLogger.Instance;
    private int _asking;

    /// <param name="typeName">The region's entity type, for the log.</param>
    /// <param name="absoluteLimit">Shards moved in one round at most (Akka's <c>rebalance-absolute-limit</c>).</param>
    /// <param name="relativeLimit">The same as a fraction of all allocated shards; the lower of the two counts.</param>
    /// <param name="askTimeout">How long a region has to say what its shards hold.</param>
    public LiveShardsStayStrategy(string typeName, int absoluteLimit = 10, double relativeLimit = 0.1, TimeSpan? askTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(absoluteLimit, 1);
        _typeName = typeName;
        _absoluteLimit = absoluteLimit;
        _relativeLimit = relativeLimit;
        _askTimeout = askTimeout ?? TimeSpan.FromSeconds(3);
        _leastShards = ShardAllocationStrategy.LeastShardAllocationStrategy(absoluteLimit, relativeLimit);
    }

    public void Start(ActorSystem system)
    {
        _cluster = Akka.Cluster.Cluster.Get(system);
        _log = Logging.GetLogger(system, nameof(LiveShardsStayStrategy));
        if (_leastShards is IActorSystemDependentAllocationStrategy least) least.Start(system);
    }

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations) =>
        _leastShards.AllocateShard(requester, shardId, currentShardAllocations);

    public async Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        // One round at a time, and none while the membership is changing (as Akka's own strategy).
        if (rebalanceInProgress.Count > 0 || !Settled()) return Nothing;
        var regions = currentShardAllocations.ToList();
        var donors = EmptyShardsRebalance.PossibleDonors(regions.Select(r => (IReadOnlyList<string>)r.Value).ToList());
        if (donors.Count == 0) return Nothing;
        // The coordinator asks again every rebalance-interval whether or not the last round's answer is in.
        if (Interlocked.Exchange(ref _asking, 1) == 1) return Nothing;
        try
        {
            var empty = await Task.WhenAll(regions.Select((r, i) => donors.Contains(i) ? EmptyShardsOf(r.Key) : Task.FromResult<IReadOnlySet<string>>(new HashSet<string>())));
            var loads = regions.Select((r, i) => new RegionShards(r.Value, empty[i])).ToList();
            var total = regions.Sum(r => r.Value.Count);
            var chosen = EmptyShardsRebalance.Choose(loads, Math.Max(1, Math.Min((int)(_relativeLimit * total), _absoluteLimit)));
            if (chosen.Count > 0)
                _log.Info("Rebalancing {0}: moving {1} shards with no entity in them ({2}); shards with entities stay", _typeName, chosen.Count, string.Join(", ", chosen.Order()));
            else
                _log.Debug("Rebalancing {0}: the shards that could move all have entities in them; none moves this round", _typeName);
            return chosen.ToImmutableHashSet();
        }
        finally
        {
            Volatile.Write(ref _asking, 0);
        }
    }

    private bool Settled()
    {
        if (_cluster is null) return false;
        var state = _cluster.State;
        return state.Unreachable.Count == 0 && !state.Members.Any(m => m.Status is MemberStatus.Joining or MemberStatus.WeaklyUp);
    }

    /// <summary>The shards of the region that answered with no entity in them; nothing if it did not answer.</summary>
    private async Task<IReadOnlySet<string>> EmptyShardsOf(IActorRef region)
    {
        try
        {
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, _askTimeout).ConfigureAwait(false);
            return state.Shards.Where(s => s.EntityIds.Count == 0 && !state.Failed.Contains(s.ShardId)).Select(s => s.ShardId).ToHashSet();
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return new HashSet<string>();
        }
    }

    public override string ToString() => $"LiveShardsStayStrategy({_typeName},{_absoluteLimit},{_relativeLimit})";
}
