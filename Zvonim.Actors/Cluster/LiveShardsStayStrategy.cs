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
/// give a shard (<see cref="GetShardRegionStats"/>, answered by every region with its shards' entity counts) which of
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
    private TimeSpan? _askTimeout;
    private Akka.Cluster.Cluster? _cluster;
    private ILoggingAdapter _log = NoLogger.Instance;
    private int _asking;

    /// <param name="typeName">The region's entity type, for the log.</param>
    /// <param name="absoluteLimit">Shards moved in one round at most (Akka's <c>rebalance-absolute-limit</c>).</param>
    /// <param name="relativeLimit">The same as a fraction of all allocated shards; the lower of the two counts.</param>
    /// <param name="askTimeout">How long a region has to say what its shards hold; by default 2 s more than the region
    /// itself gives its shards (<c>shard-region-query-timeout</c>), so a slow shard costs that shard, not the region.</param>
    public LiveShardsStayStrategy(string typeName, int absoluteLimit = 10, double relativeLimit = 0.1, TimeSpan? askTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(absoluteLimit, 1);
        _typeName = typeName;
        _absoluteLimit = absoluteLimit;
        _relativeLimit = relativeLimit;
        _askTimeout = askTimeout;
        _leastShards = ShardAllocationStrategy.LeastShardAllocationStrategy(absoluteLimit, relativeLimit);
    }

    /// <summary>The start of the line logged for a round that moves shards.</summary>
    public static string MovingLine(string typeName) => $"Rebalancing {typeName}: moving";

    public void Start(ActorSystem system)
    {
        _cluster = Akka.Cluster.Cluster.Get(system);
        _log = Logging.GetLogger(system, nameof(LiveShardsStayStrategy));
        _askTimeout ??= system.Settings.Config.GetTimeSpan("akka.cluster.sharding.shard-region-query-timeout", TimeSpan.FromSeconds(3))
            + TimeSpan.FromSeconds(2);
        if (_leastShards is IActorSystemDependentAllocationStrategy least) least.Start(system);
    }

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations) =>
        _leastShards.AllocateShard(requester, shardId, currentShardAllocations);

    public async Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        // One round at a time, and none while the membership is changing (as Akka's own strategy).
        if (rebalanceInProgress.Count > 0 || SettledMembers() is not { } before) return Nothing;
        var regions = currentShardAllocations.ToList();
        var donors = EmptyShardsRebalance.PossibleDonors(regions.Select(r => r.Value.Count).ToList());
        if (donors.Count == 0) return Nothing;
        // The coordinator asks again every rebalance-interval whether or not the last round's answer is in.
        if (Interlocked.Exchange(ref _asking, 1) == 1) return Nothing;
        try
        {
            var empty = await Task.WhenAll(regions.Select((r, i) => donors.Contains(i) ? EmptyShardsOf(r.Key) : Task.FromResult<IReadOnlySet<string>>(new HashSet<string>())));
            // The coordinator moves a shard by its id from wherever it is when the answer comes. A member that came or went
            // meanwhile may have sent a shard seen empty to another node, where rooms have been made in it since.
            if (SettledMembers() != before) return Nothing;
            var loads = regions.Select((r, i) => new RegionShards(r.Value, empty[i])).ToList();
            var total = regions.Sum(r => r.Value.Count);
            var chosen = EmptyShardsRebalance.Choose(loads, Math.Max(1, Math.Min((int)(_relativeLimit * total), _absoluteLimit)));
            if (chosen.Count > 0)
                _log.Info("{0} {1} shards with no entity in them ({2}); shards with entities stay", MovingLine(_typeName), chosen.Count, string.Join(", ", chosen.Order()));
            else
                _log.Debug("Rebalancing {0}: the shards that could move all have entities in them; none moves this round", _typeName);
            return chosen.ToImmutableHashSet();
        }
        catch (Exception ex)
        {
            // The coordinator would take a failed round for "move nothing" without a word.
            _log.Warning(ex, "Rebalancing {0}: the round failed; nothing moves", _typeName);
            return Nothing;
        }
        finally
        {
            Volatile.Write(ref _asking, 0);
        }
    }

    /// <summary>The members, when none is unreachable or joining and all run the same version of the application (when
    /// Akka's own strategy would rebalance); null otherwise.</summary>
    private string? SettledMembers()
    {
        if (_cluster is null) return null;
        var state = _cluster.State;
        if (state.Unreachable.Count > 0 || state.Members.Any(m => m.Status is MemberStatus.Joining or MemberStatus.WeaklyUp)
            || state.Members.Select(m => m.AppVersion).Distinct().Count() > 1)
            return null;
        return string.Join(" ", state.Members.Select(m => $"{m.UniqueAddress}/{m.Status}"));
    }

    /// <summary>The shards of the region that answered with no entity in them (a shard too slow to answer the region is
    /// not among them); nothing if the region did not answer.</summary>
    private async Task<IReadOnlySet<string>> EmptyShardsOf(IActorRef region)
    {
        try
        {
            // Counts, not the entities' ids: a region of many rooms answers in a few bytes a shard. An entity starting,
            // passivating or stopping counts as one.
            var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, _askTimeout).ConfigureAwait(false);
            return stats.Stats.Where(shard => shard.Value == 0).Select(shard => shard.Key).ToHashSet();
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return new HashSet<string>();
        }
    }

    public override string ToString() => $"LiveShardsStayStrategy({_typeName},{_absoluteLimit},{_relativeLimit})";
}
