using System.Diagnostics;
using Zvonim.Bench.Sfu;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;

namespace Zvonim.Tests.Cluster;

/// <summary>Three nodes keeping their calls in one real PostgreSQL (started here) instead of DistributedData.</summary>
public sealed class ThreeNodesOnPostgres : ThreeNodes
{
    private Postgres? _postgres;

    protected override string LogLevel => "Information"; // the log says which node runs which call

    protected override async Task ConfigureAsync(Dictionary<string, string> settings)
    {
        _postgres = await Postgres.StartAsync();
        settings["Zvonim__Store__ConnectionString"] = _postgres.ConnectionString;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}

/// <summary>
/// With PostgreSQL as the shared store, a call outlives the node that ran it (kill -9) and even the whole cluster
/// stopped and started again, which records kept in the nodes' memory cannot.
/// </summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterPostgresTests(ThreeNodesOnPostgres cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOnPostgres>
{
    [Fact]
    public Task A_call_outlives_the_node_that_ran_it_and_a_restart_of_the_whole_cluster() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            var call = await cluster.CallAsync(host => ThreeNodes.Others(host).Item1, host => ThreeNodes.Others(host).Item2);
            await using (call)
            {
                await call.A.SyncAsync();
                cluster.Node(call.Host).Kill();
                output.WriteLine($"[{DateTime.Now:HH:mm:ss}] node {call.Host} killed");
                var clock = Stopwatch.StartNew();
                await call.A.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(40));
                output.WriteLine($"node {call.Host} killed; both participants back {clock.Elapsed.TotalSeconds:F1} s later");
                await AssertRelayAsync(call.A, call.B);
            }

            // Every node stops (the killed one is started again too) and the cluster starts afresh.
            await cluster.RestartAllAsync();
            var (nodeA, nodeB) = ThreeNodes.Others(call.Host);
            using var http = cluster.Client(nodeA);
            var status = await StatusAsync(http, call.CallId);
            Assert.Equal(("active", 2), ((string?)status["status"], (int)status["participants"]!["count"]!));
            await using var a = await WsClient.ConnectAsync(cluster.Socket(nodeA, call.CallId, call.PeerA), "A after the restart");
            await using var b = await WsClient.ConnectAsync(cluster.Socket(nodeB, call.CallId, call.PeerB), "B after the restart");
            await a.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(30));
            await AssertRelayAsync(a, b);
            await AssertRelayAsync(b, a);
        });

    [Fact]
    public Task Signed_in_users_with_sockets_on_different_nodes_ring_and_call_each_other() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            Uri On(int node, string path) => new($"ws://127.0.0.1:{cluster.HttpPorts[node]}{path}");
            using var http0 = cluster.Client(0);
            // The accounts are in the shared PostgreSQL: registered through one node, signed in everywhere.
            var anna = await Contracts.SignedInUser.RegisterAsync(http0, path => On(1, path), "anna-" + Guid.NewGuid().ToString("N")[..8]);
            var boris = await Contracts.SignedInUser.RegisterAsync(http0, path => On(2, path), "boris-" + Guid.NewGuid().ToString("N")[..8]);
            await using var annaPhone = await anna.DeviceAsync("anna on node 1");
            await using var borisPhone = await boris.DeviceAsync("boris on node 2");
            await using var borisLaptop = await boris.DeviceAsync("boris on node 0", On(0, "/api/v1/ws"));

            var callId = await anna.CallAsync(boris); // placed through node 0, whichever node the call lands on
            await borisLaptop.ExpectAsync("call:incoming", m => (string?)m["callId"] == callId);
            await borisPhone.ExpectAsync("call:incoming", m => (string?)m["callId"] == callId);
            await borisPhone.SendTextAsync($$"""{"type":"call:accept","callId":"{{callId}}"}""");
            await annaPhone.ExpectAsync("call:accept", m => (string?)m["callId"] == callId);
            Assert.Equal("answered_elsewhere", (string?)(await borisLaptop.ExpectAsync("call:end"))["reason"]);

            var offer = $$"""{"type":"webrtc:offer","callId":"{{callId}}","sdp":"v=0\r\n"}""";
            var answer = $$"""{"type":"webrtc:answer","callId":"{{callId}}","sdp":"v=0\r\n"}""";
            await annaPhone.SendTextAsync(offer);
            Assert.Equal(offer, (await borisPhone.ReceiveAsync()).Raw);
            await borisPhone.SendTextAsync(answer);
            Assert.Equal(answer, (await annaPhone.ReceiveAsync()).Raw);
            using var http2 = cluster.Client(2);
            using (var status = await http2.SendAsync(boris.Request(HttpMethod.Get, $"/api/v1/calls/{callId}")))
                Assert.Equal("active", (string?)(await Web.HttpKit.OkAsync(status))["status"]);

            using var http1 = cluster.Client(1);
            using (var end = await http1.SendAsync(anna.Request(HttpMethod.Post, $"/api/v1/calls/{callId}/end"))) await Web.HttpKit.OkAsync(end);
            foreach (var device in new[] { annaPhone, borisPhone })
                Assert.Equal("completed", (string?)(await device.ExpectAsync("call:end", m => (string?)m["callId"] == callId))["reason"]);
        });

    [Fact]
    public Task A_group_call_s_media_lives_on_one_node_and_sockets_on_other_nodes_publish_and_receive_through_it() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            Uri On(int node, string path) => new($"ws://127.0.0.1:{cluster.HttpPorts[node]}{path}");
            using var http0 = cluster.Client(0);
            var anna = await Contracts.SignedInUser.RegisterAsync(http0, path => On(0, path), "anna-" + Guid.NewGuid().ToString("N")[..8]);
            var boris = await Contracts.SignedInUser.RegisterAsync(http0, path => On(0, path), "boris-" + Guid.NewGuid().ToString("N")[..8]);
            var group = await anna.CreateGroupAsync("Across", boris);

            // Anna's socket is on node 0; the answer names the forwarder of the node that holds the room's media.
            await using var annaCall = await ChatCallMediaClient.JoinAsync(On(0, $"/api/v1/group/{group}/call"), anna, group, "anna-1");
            await annaCall.PublishAsync();
            var roomNode = cluster.SfuPorts.IndexOf(annaCall.Forwarder!.Port);
            Assert.True(roomNode >= 0, $"the answer's forwarder {annaCall.Forwarder} is no node's");
            // Boris's socket is on a node that does not hold the room (and not Anna's when the room is elsewhere).
            var borisNode = Enumerable.Range(0, 3).First(n => n != roomNode && (roomNode == 0 || n != 0));
            output.WriteLine($"room's media on node {roomNode}; anna's socket on node 0, boris's on node {borisNode}");
            await using var borisCall = await ChatCallMediaClient.JoinAsync(On(borisNode, $"/api/v1/group/{group}/call"), boris, group, "boris-1");
            await borisCall.PublishAsync();
            Assert.Equal(annaCall.Forwarder, borisCall.Forwarder);

            var (ssrc, payloadType) = await borisCall.AcceptOfferAsync(); // the server offers him Anna's track
            var received = new ReceiveStats();
            borisCall.Media.StartReceiving(ssrc, payloadType, received);
            await annaCall.SendUntilAsync([received], 100, TimeSpan.FromSeconds(20)); // once the forwarder asks Anna for a key frame
            output.WriteLine($"anna heard {annaCall.Media.KeyFrameRequests.Count(annaCall.Ssrc)} key-frame requests and sent {annaCall.Media.Sent} packets; boris received {received.Received}");
            Assert.True(received.Corrupted == 0 && received.Duplicated == 0 && received.Reordered == 0, received.FirstProblem);

            // Removed from the group on node 0, Boris loses his socket on his node.
            using (await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{group}/members/{boris.Id}")) { }
            Web.HttpKit.AssertErrorFrame(await borisCall.Socket.ReceiveAsync("error"), "forbidden");
            await borisCall.Socket.AssertClosedAsync(4403);
        });
}
