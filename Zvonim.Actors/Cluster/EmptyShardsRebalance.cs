namespace Zvonim.Actors.Cluster;

/// <summary>One shard region as a rebalance sees it: the shards allocated to it, and which of them hold no entity.</summary>
public sealed record RegionShards(IReadOnlyList<string> Shards, IReadOnlySet<string> Empty);

/// <summary>
/// Which shards a rebalance moves: Akka's least-shard rule (regions above the rounded-up mean give their excess;
/// failing that, a region at the mean gives one when another is two below it), with one change: only a shard with no
/// entity in it may go. A moved shard's entities are stopped and started again elsewhere; for a seed-001 room that
/// is every participant's media connection dropped. An empty shard costs nothing to move, and the next room made in
/// it lands on the region with the fewest shards, so a node that joins fills up as rooms come and go, not by
/// breaking the calls in progress.
/// </summary>
public static class EmptyShardsRebalance
{
    /// <summary>The shards to move this round, at most <paramref name="limit"/>.</summary>
    public static IReadOnlySet<string> Choose(IReadOnlyList<RegionShards> regions, int limit)
    {
        var total = regions.Sum(r => r.Shards.Count);
        if (regions.Count == 0 || total == 0 || limit < 1) return new HashSet<string>();
        var optimal = (total + regions.Count - 1) / regions.Count;
        var byLoad = regions.OrderBy(r => r.Shards.Count).ToList();

        var excess = byLoad.Where(r => r.Shards.Count > optimal)
            .SelectMany(r => Movable(r).Take(r.Shards.Count - optimal))
            .Take(limit).ToHashSet();
        if (excess.Count > 0) return excess;

        // Rounding the mean up can leave one region two or more below it while none is above: one each from those at it.
        var below = byLoad.Sum(r => Math.Max(0, optimal - 1 - r.Shards.Count));
        if (below == 0) return new HashSet<string>();
        return byLoad.Where(r => r.Shards.Count >= optimal)
            .SelectMany(r => Movable(r).Take(1))
            .Take(Math.Min(below, limit)).ToHashSet();
    }

    /// <summary>The regions a rebalance could take a shard from, whatever their shards hold: those above the rounded-up
    /// mean, and those at it when a region is two below. Only these are worth asking what their shards hold.</summary>
    public static IReadOnlySet<int> PossibleDonors(IReadOnlyList<int> shardsPerRegion)
    {
        var total = shardsPerRegion.Sum();
        if (shardsPerRegion.Count == 0 || total == 0) return new HashSet<int>();
        var optimal = (total + shardsPerRegion.Count - 1) / shardsPerRegion.Count;
        var below = shardsPerRegion.Sum(count => Math.Max(0, optimal - 1 - count));
        return Enumerable.Range(0, shardsPerRegion.Count)
            .Where(i => shardsPerRegion[i] > optimal || (below > 0 && shardsPerRegion[i] >= optimal)).ToHashSet();
    }

    // In the region's own order, as Akka's strategy takes them.
    private static IEnumerable<string> Movable(RegionShards region) => region.Shards.Where(region.Empty.Contains);
}
