using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Xunit.Abstractions;
using Zvonim.Actors.Cluster;
using ClusterNode = Akka.Cluster.Cluster;

namespace Zvonim.Tests.Cluster;

/// <summary>
/// Two real cluster nodes in this process (remoting on loopback ports of their own, the coordinator's real rebalance
/// rounds, one a second here): a node that joins takes over only shards with no entity in them. With Akka's own strategy
/// the first shards of the loaded node go, entities and all, which for a media room drops everyone's media.
/// </summary>
public sealed class LiveShardsStayTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(NodeConfig, "shards", output)
{
    private static readonly Config NodeConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.sharding {
          rebalance-interval = 500 ms
          state-store-mode = ddata
          remember-entities = off
        }
        akka.cluster.jmx.enabled = off
        akka.loglevel = INFO
        """)
        // Known before the first gossip arrives, not only once the node starts sharding.
        .WithFallback(ClusterSharding.DefaultConfig()).WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());

    /// <summary>"b-1" is entity b-1 of shard b (the region opens the envelopes itself).</summary>
    private sealed class ByPrefix() : HashCodeMessageExtractor(maxNumberOfShards: 1)
    {
        public override string? EntityId(object message) => null;
        public override string ShardId(string entityId, object? messageHint = null) => entityId.Split('-')[0];
    }

    /// <summary>Says where it runs and which incarnation it is ("node|guid"); "leave" stops it as a room with nobody left stops.</summary>
    private sealed class Entity : ReceiveActor
    {
        public Entity()
        {
            var incarnation = $"{ClusterNode.Get(Context.System).SelfAddress}|{Guid.NewGuid()}";
            Receive<string>(m => m == "where", _ => Sender.Tell(incarnation));
            Receive<string>(m => m == "leave", _ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
        }
    }

    private static IActorRef StartRegion(ActorSystem system) =>
        ClusterSharding.Get(system).Start("rooms", _ => Props.Create<Entity>(), ClusterShardingSettings.Create(system),
            new ByPrefix(), new LiveShardsStayStrategy("rooms"), PoisonPill.Instance);

    private static Task<string> WhereAsync(IActorRef region, string entity) =>
        region.Ask<string>(new ShardingEnvelope(entity, "where"), TimeSpan.FromSeconds(5));

    private static async Task<IImmutableSet<string>> ShardsOfAsync(IActorRef region) =>
        (await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5))).Shards.Select(s => s.ShardId).ToImmutableHashSet();

    [Fact]
    public async Task A_node_that_joins_takes_the_empty_shards_and_the_live_ones_stay_where_they_are()
    {
        var first = ClusterNode.Get(Sys);
        first.Join(first.SelfAddress);
        AwaitCondition(() => first.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 1, TimeSpan.FromSeconds(10));
        var region = StartRegion(Sys);

        // Four shards on the only node: a and c with someone in them, b and d left empty.
        var live = new Dictionary<string, string>();
        foreach (var entity in new[] { "a-1", "b-1", "c-1", "d-1" }) live[entity] = await WhereAsync(region, entity);
        region.Tell(new ShardingEnvelope("b-1", "leave"));
        region.Tell(new ShardingEnvelope("d-1", "leave"));
        await AwaitAssertAsync(async () => Assert.Empty((await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance))
            .Shards.Where(s => s.ShardId is "b" or "d").SelectMany(s => s.EntityIds)));

        // A second node joins: the mean is two shards each, so two go, one per round.
        var second = ActorSystem.Create(Sys.Name, NodeConfig);
        try
        {
            ClusterNode.Get(second).Join(first.SelfAddress);
            AwaitCondition(() => first.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2, TimeSpan.FromSeconds(15));
            var secondRegion = StartRegion(second);

            await AwaitAssertAsync(async () => Assert.Equal(["a", "c"], (await ShardsOfAsync(region)).Order()),
                TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));

            // The two people are where they were, in the same actors; the next room in an empty shard is on the new node.
            Assert.Equal(live["a-1"], await WhereAsync(region, "a-1"));
            Assert.Equal(live["c-1"], await WhereAsync(secondRegion, "c-1"));
            Assert.StartsWith($"{ClusterNode.Get(second).SelfAddress}|", await WhereAsync(region, "b-2"));

            // The coordinator asks a region on another node the same way: shard d, made and left on the second node
            // (now the one with fewer shards), is the one it would give up; b, with b-2 in it, is not.
            Assert.StartsWith($"{ClusterNode.Get(second).SelfAddress}|", await WhereAsync(region, "d-2"));
            region.Tell(new ShardingEnvelope("d-2", "leave"));
            var remote = await Sys.ActorSelection(new RootActorPath(ClusterNode.Get(second).SelfAddress) / "system" / "sharding" / "rooms")
                .ResolveOne(TimeSpan.FromSeconds(5));
            var strategy = new LiveShardsStayStrategy("rooms");
            strategy.Start(Sys);
            await AwaitAssertAsync(async () => Assert.Equal(["d"], await strategy.Rebalance(
                ImmutableDictionary<IActorRef, IImmutableList<string>>.Empty.Add(remote, ["b", "d"]).Add(CreateTestProbe().Ref, []),
                ImmutableHashSet<string>.Empty)));
        }
        finally
        {
            await second.Terminate();
        }
    }
}
