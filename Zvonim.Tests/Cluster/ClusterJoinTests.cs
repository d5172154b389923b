using Xunit.Abstractions;
using Zvonim.Actors.Cluster;
using Zvonim.Bench.Sfu;
using Zvonim.Tests.Contracts;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Cluster;

public sealed class ThreeNodesOneJoining : ThreeNodes
{
    protected override string LogLevel => "Information"; // the coordinator's log says when it rebalanced the rooms
}

/// <summary>
/// A node added to a cluster (or started again after an upgrade) is given shards by the coordinator's rebalance. For
/// a seed-001 room that would be the end of everyone's media: a moved room starts afresh on the new node, and the
/// browsers' connections to the old node's forwarder lead nowhere. The rooms' rebalance moves only empty shards.
/// </summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterJoinTests(ThreeNodesOneJoining cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOneJoining>
{
    private const int Calls = 4;
    private const int EmptyRooms = 8; // enough that each node has some, whichever shards the rooms' keys fall in
    private static readonly string Rebalanced = LiveShardsStayStrategy.MovingLine("media-rooms");

    [Fact]
    public Task A_node_that_joins_leaves_the_group_calls_in_progress_on_the_nodes_that_hold_them() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            Uri On(int node, string path) => new($"ws://127.0.0.1:{cluster.HttpPorts[node]}{path}");
            await cluster.StopAsync(2); // every room made now lives on node 0 or 1
            using var http0 = cluster.Client(0);
            var anna = await SignedInUser.RegisterAsync(http0, path => On(0, path), "anna-" + Guid.NewGuid().ToString("N")[..8]);
            var boris = await SignedInUser.RegisterAsync(http0, path => On(0, path), "boris-" + Guid.NewGuid().ToString("N")[..8]);

            // Group calls in progress, Anna's media reaching Boris through whichever node holds each room (their sockets on
            // node 0, where their accounts are: without PostgreSQL each node keeps its own) ...
            var calls = new List<(ChatCallMediaClient Anna, ChatCallMediaClient Boris, ReceiveStats Heard)>();
            var groups = new List<long>(); // every room used, live or emptied
            await using var hangUp = new Disposer(calls.SelectMany(c => new[] { c.Anna, c.Boris })); // enumerated at the end
            for (var i = 0; i < Calls; i++)
            {
                var group = await anna.CreateGroupAsync($"Live {i}", boris);
                groups.Add(group);
                var annaCall = await ChatCallMediaClient.JoinAsync(On(0, $"/api/v1/group/{group}/call"), anna, group, $"anna-{i}");
                await annaCall.PublishAsync();
                var borisCall = await ChatCallMediaClient.JoinAsync(On(0, $"/api/v1/group/{group}/call"), boris, group, $"boris-{i}");
                await borisCall.PublishAsync();
                var (ssrc, payloadType) = await borisCall.AcceptOfferAsync();
                var heard = new ReceiveStats();
                borisCall.Media.StartReceiving(ssrc, payloadType, heard);
                calls.Add((annaCall, borisCall, heard));
                await annaCall.SendUntilAsync([heard], 10, TimeSpan.FromSeconds(20));
                output.WriteLine($"group call {i}: media on node {cluster.SfuPorts.IndexOf(annaCall.Forwarder!.Port)}");
            }
            // ... and rooms that were used and are empty again: shards a rebalance may move at no cost.
            for (var i = 0; i < EmptyRooms; i++)
            {
                var group = await anna.CreateGroupAsync($"Over {i}", boris);
                groups.Add(group);
                await using var left = await ChatCallMediaClient.JoinAsync(On(0, $"/api/v1/group/{group}/call"), anna, group, $"anna-over-{i}");
                await left.OfferAsync(); // the room exists
                await left.Socket.SendTextAsync($$"""{"type":"leave","roomId":{{group}},"sessionId":"anna-over-{{i}}"}""");
                await left.Socket.ClosedAsync(TimeSpan.FromSeconds(10));
            }

            // The coordinator (on node 0 or 1, the oldest) rebalances within a round (10 s) of the cluster being whole again.
            var rebalanced = new[] { cluster.Node(0), cluster.Node(1) }.Select(n => n.WaitForNewOutputAsync(Rebalanced, TimeSpan.FromSeconds(120))).ToList();
            await cluster.StartAgainAsync(2);
            var first = await Task.WhenAny(rebalanced);
            foreach (var other in rebalanced.Where(w => w != first)) _ = other.ContinueWith(w => w.Exception, TaskContinuationOptions.OnlyOnFaulted);
            await first;

            // Every call goes on where it was: Anna's next packets reach Boris through the same forwarder, as they were.
            for (var i = 0; i < Calls; i++)
            {
                var (annaCall, _, heard) = calls[i];
                var before = heard.Received;
                annaCall.SendMore(10);
                try
                {
                    await heard.WhenReceived(before + 10).WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"group call {i}: Boris heard {heard.Received - before} of Anna's 10 packets after the rebalance");
                }
                Assert.True(heard.Corrupted == 0 && heard.Duplicated == 0 && heard.Reordered == 0, heard.FirstProblem);
            }

            // And the node that joined takes the next room: one in a shard no room has used is the fewest-shards node's.
            var used = groups.Select(ShardOf).ToHashSet();
            long next;
            do next = await anna.CreateGroupAsync("Next", boris);
            while (used.Contains(ShardOf(next)));
            await using var newcomer = await ChatCallMediaClient.JoinAsync(On(0, $"/api/v1/group/{next}/call"), anna, next, "anna-next");
            await newcomer.PublishAsync();
            Assert.Equal(cluster.SfuPorts[2], newcomer.Forwarder!.Port);
        });

    private static string ShardOf(long group) =>
        new MediaRoomKeyExtractor(Zvonim.Web.Hosting.ActorHosting.ShardsPerRegion).ShardId(Zvonim.Web.Chats.CallRoomKey.Group(group));
}
