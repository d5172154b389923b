using System.Diagnostics;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Cluster;

// Each class that stops a node has a cluster of its own: two of three nodes must stay for the cluster to go on.

public sealed class ThreeNodesOneKilled : ThreeNodes
{
    protected override string LogLevel => "Information"; // the log says which node runs which call
}

public sealed class ThreeNodesOneLost : ThreeNodes
{
    protected override string LogLevel => "Information";
}

public sealed class ThreeNodesOneLeaving : ThreeNodes
{
    protected override string LogLevel => "Information";
}

public sealed class ThreeNodesRestarted : ThreeNodes
{
    protected override string LogLevel => "Information";
}

public sealed class ThreeNodesOneFrozen : ThreeNodes
{
    protected override string LogLevel => "Information"; // the survivors' log says when they removed the frozen node
}

/// <summary>A node that stops answering for longer than the failure detector allows (a long pause, a frozen VM) is
/// removed by the others; when it wakes it stops, and exits with a code that makes a service manager (systemd's
/// <c>Restart=on-failure</c>) start it again, instead of the 0 of a stop that was asked for.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterDowningTests(ThreeNodesOneFrozen cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOneFrozen>
{
    [Fact]
    public Task A_node_the_others_removed_while_it_was_frozen_exits_with_a_failure_code_when_it_wakes() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            var frozen = cluster.Node(2);
            frozen.Freeze();
            try
            {
                await Task.WhenAny(
                    cluster.Node(0).WaitForOutputAsync("Leader is removing", TimeSpan.FromSeconds(60)),
                    cluster.Node(1).WaitForOutputAsync("Leader is removing", TimeSpan.FromSeconds(60)));
            }
            finally
            {
                frozen.Freeze(false);
            }
            Assert.Equal(Zvonim.Web.Hosting.NodeExit.RemovedFromCluster, await frozen.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("removed from the cluster", frozen.Stdout, StringComparison.Ordinal);
        });
}

/// <summary>
/// Losing a node loses no call: after <c>kill -9</c> of the node that runs a call, the call comes back on another node
/// from its replicated record, and its participants' sockets on the surviving nodes re-attach and relay again.
/// </summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterFailoverTests(ThreeNodesOneKilled cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOneKilled>
{
    [Fact]
    public Task Killing_the_node_that_runs_a_call_loses_no_call_and_its_sockets_on_the_other_nodes_relay_again() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            await using var call = await cluster.CallAsync(host => ThreeNodes.Others(host).Item1, host => ThreeNodes.Others(host).Item2);
            await call.A.SyncAsync(); // everything the call said so far is read: the next state A hears is news
            cluster.Node(call.Host).Kill();
            var clock = Stopwatch.StartNew();
            // Both sockets are on surviving nodes: they keep relaying to each other while their call comes back.
            await call.A.SendTextAsync("""{"type":"offer","sdp":"v=0 sent as the node died"}""");
            await call.B.ExpectAsync("offer", m => m.Raw.Contains("sent as the node died", StringComparison.Ordinal));

            // The call is usable again when A hears from it that both participants are connected: the restored call
            // admits each socket as it attaches again and tells the others.
            await call.A.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(40));
            output.WriteLine($"node {call.Host} killed; A heard both participants connected again {clock.Elapsed.TotalSeconds:F1} s later");
            await AssertRelayAsync(call.A, call.B);
            await AssertRelayAsync(call.B, call.A);

            // Until the dead node is downed, a survivor may still route a request there and answer 503 "try again", as
            // the API says: every survivor must answer for the call before the figure (docs/benchmarks.md) is taken.
            var (first, second) = ThreeNodes.Others(call.Host);
            foreach (var node in new[] { first, second })
            {
                using var http = cluster.Client(node);
                while (true)
                {
                    using var response = await http.GetAsync($"/apiv2/calls/{call.CallId}");
                    if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || clock.Elapsed > TimeSpan.FromSeconds(40))
                    {
                        var status = await OkAsync(response);
                        Assert.Equal(("active", 2), ((string?)status["status"], (int)status["participants"]!["connected"]!));
                        break;
                    }
                    await Task.Delay(200); // the client's "try again"; no event tells it the route is back
                }
            }
            output.WriteLine($"every survivor answered for the call {clock.Elapsed.TotalSeconds:F1} s after the kill");
            using var survivor = cluster.Client(first);
            // The restored call still ends as a call does.
            await call.A.SendTextAsync("""{"type":"leave"}""");
            await call.B.AssertClosedAsync(1000);
            Assert.Equal("ended", (string?)(await StatusAsync(survivor, call.CallId))["status"]);
        });
}

/// <summary>A participant whose socket was on the node that died comes back through another node, as itself.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterReconnectTests(ThreeNodesOneLost cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOneLost>
{
    [Fact]
    public Task A_socket_lost_with_its_node_reconnects_to_another_node_with_its_peer_id_and_the_call_resumes() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            await using var call = await cluster.CallAsync(host => host, host => ThreeNodes.Others(host).Item1);
            var spare = ThreeNodes.Others(call.Host).Item2;
            cluster.Node(call.Host).Kill();
            var clock = Stopwatch.StartNew();
            await call.A.ClosedAsync(TimeSpan.FromSeconds(30)); // A's browser sees its socket drop, and reconnects elsewhere
            WsClient? again = null;
            WsMessage? first = null;
            while (again is null && clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                var attempt = await WsClient.ConnectAsync(cluster.Socket(spare, call.CallId, call.PeerA), $"A again on node {spare}");
                first = await attempt.ReceiveAsync(TimeSpan.FromSeconds(20));
                if (first.Type != "error") again = attempt;
                else await attempt.DisposeAsync(); // the call is not back yet: a browser retries the same way
            }
            Assert.NotNull(again);
            await using var _ = again;
            // B may be back before A: then the state A gets first already says both are connected.
            if (first is not { Type: "state" } || (int?)first["participants"]?["connected"] != 2)
                await again.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(20));
            output.WriteLine($"node {call.Host} killed; A was back through node {spare} with B connected {clock.Elapsed.TotalSeconds:F1} s later");
            await AssertRelayAsync(again, call.B);
            await AssertRelayAsync(call.B, again);
        });
}

/// <summary>A node stopped on purpose (SIGTERM, as in a rolling restart) closes its sockets with 1001 so that their
/// clients reconnect elsewhere, and the calls it ran go on from another node.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterLeaveTests(ThreeNodesOneLeaving cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOneLeaving>
{
    [Fact]
    public Task A_node_asked_to_stop_closes_its_sockets_going_away_and_its_calls_resume_on_the_others() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            await using var call = await cluster.CallAsync(host => host, host => ThreeNodes.Others(host).Item1);
            var spare = ThreeNodes.Others(call.Host).Item2;
            cluster.Node(call.Host).Terminate();
            var clock = Stopwatch.StartNew();
            await call.A.AssertClosedAsync(1001);
            Assert.Equal(0, await cluster.Node(call.Host).WaitForExitAsync(TimeSpan.FromSeconds(20)));
            await using var again = await WsClient.ConnectAsync(cluster.Socket(spare, call.CallId, call.PeerA), $"A again on node {spare}");
            await again.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(20));
            output.WriteLine($"node {call.Host} stopped; A was back through node {spare} with B connected {clock.Elapsed.TotalSeconds:F1} s later");
            await AssertRelayAsync(again, call.B);
            await AssertRelayAsync(call.B, again);
        });
}

/// <summary>An upgrade as operators run it: each node in turn stopped with SIGTERM and started again. The call
/// survives all three: its clients reconnect through a node that is up, and it goes on wherever it now lives.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterRollingRestartTests(ThreeNodesRestarted cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesRestarted>
{
    [Fact]
    public Task A_call_survives_a_rolling_restart_of_all_three_nodes() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            var call = await cluster.CallAsync(_ => 0, _ => 1);
            var peers = new[] { call.PeerA, call.PeerB };
            var at = new[] { 0, 1 };
            var sockets = new[] { call.A, call.B };
            await using var _ = new Disposer(sockets); // the sockets in use at the end
            for (var node = 0; node < 3; node++)
            {
                var clock = Stopwatch.StartNew();
                var restart = cluster.RestartAsync(node, call.CallId);
                for (var i = 0; i < 2; i++)
                {
                    if (at[i] != node) continue;
                    await sockets[i].AssertClosedAsync(1001); // going away: the client reconnects through a node that is up
                    await sockets[i].DisposeAsync();
                    at[i] = (node + 1) % 3;
                    sockets[i] = await WsClient.ConnectAsync(cluster.Socket(at[i], call.CallId, peers[i]), $"{(i == 0 ? "A" : "B")} via node {at[i]}");
                }
                await restart;
                await sockets[0].ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(30));
                await AssertRelayAsync(sockets[0], sockets[1]);
                await AssertRelayAsync(sockets[1], sockets[0]);
                output.WriteLine($"node {node} restarted in {clock.Elapsed.TotalSeconds:F1} s; the call relays with A on node {at[0]}, B on node {at[1]}");
            }
            for (var node = 0; node < 3; node++)
            {
                using var http = cluster.Client(node);
                var status = await StatusAsync(http, call.CallId);
                Assert.Equal(("active", 2), ((string?)status["status"], (int)status["participants"]!["connected"]!));
            }
        });
}
