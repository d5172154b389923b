using Zvonim.Actors.Cluster;

namespace Zvonim.Tests.Cluster;

/// <summary>Which shards a rebalance of the media rooms moves: Akka's least-shard rule, restricted to shards with no room.</summary>
public sealed class EmptyShardsRebalanceTests
{
    private static RegionShards Region(string shards, string empty = "") =>
        new(Split(shards), Split(empty).ToHashSet());

    private static string[] Split(string list) => list.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void A_node_that_joins_is_given_only_shards_with_no_room_in_them()
    {
        // Two nodes with four shards each, the third with none: each gives one (the mean rounds up to 3). Akka's rule
        // takes a region's first shards, a and e, rooms and all.
        var chosen = EmptyShardsRebalance.Choose([Region("a b c d", empty: "c"), Region("e f g h", empty: "f h"), Region("")], limit: 10);

        Assert.Equal(["c", "f"], chosen.Order());
    }

    [Fact]
    public void A_region_gives_no_more_than_its_excess_and_a_round_no_more_than_its_limit()
    {
        var loaded = Region("a b c d e f", empty: "a b c d e f");

        Assert.Equal(["a", "b", "c"], EmptyShardsRebalance.Choose([loaded, Region("")], limit: 10).Order());
        Assert.Equal(["a", "b"], EmptyShardsRebalance.Choose([loaded, Region("")], limit: 2).Order());
    }

    [Fact]
    public void Nothing_moves_when_every_shard_above_the_mean_has_a_room_or_the_regions_are_balanced()
    {
        Assert.Empty(EmptyShardsRebalance.Choose([Region("a b c d"), Region("")], limit: 10));
        Assert.Empty(EmptyShardsRebalance.Choose([Region("a b", empty: "a b"), Region("c d", empty: "c")], limit: 10));
        Assert.Empty(EmptyShardsRebalance.Choose([Region("a b", empty: "a"), Region("c")], limit: 10));
        Assert.Empty(EmptyShardsRebalance.Choose([], limit: 10));
    }

    [Fact]
    public void A_region_two_below_the_rounded_up_mean_gets_an_empty_shard_from_a_region_at_it()
    {
        // 7 shards over 3 regions: the mean rounds up to 3, nobody is above it, and the third is two below: one moves.
        Assert.Equal(["b"], EmptyShardsRebalance.Choose([Region("a b c", empty: "b"), Region("d e f", empty: "e f"), Region("g")], limit: 10).Order());
        Assert.Equal(["e"], EmptyShardsRebalance.Choose([Region("a b c"), Region("d e f", empty: "e f"), Region("g")], limit: 10).Order());
    }

    [Fact]
    public void The_regions_worth_asking_are_those_above_the_mean_and_those_at_it_when_one_is_two_below()
    {
        Assert.Equal([0, 2], EmptyShardsRebalance.PossibleDonors([4, 2, 4, 0]).Order());
        // 7 over 3: nobody above the rounded-up mean of 3, the third two below it: either of the first two may give.
        Assert.Equal([0, 1], EmptyShardsRebalance.PossibleDonors([3, 3, 1]).Order());
        Assert.Empty(EmptyShardsRebalance.PossibleDonors([2, 2]));
        Assert.Empty(EmptyShardsRebalance.PossibleDonors([2, 2, 1]));
        Assert.Empty(EmptyShardsRebalance.PossibleDonors([]));
    }
}
