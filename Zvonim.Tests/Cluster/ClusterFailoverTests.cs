using System.Diagnostics;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Cluster;

/// <summary>Three nodes whose logs say which node runs which call.</summary>
public sealed class ThreeLoggingNodes : ThreeNodes
{
    protected override string LogLevel => "Information";
}

/// <summary>
/// Losing a node loses no call: after <c>kill -9</c> of the node that runs a call, the call comes back on another node
/// from its replicated record, and its participants' sockets on the surviving nodes re-attach and relay again.
/// </summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterFailoverTests(ThreeLoggingNodes cluster, ITestOutputHelper output) : IClassFixture<ThreeLoggingNodes>
{
    [Fact]
    public async Task Killing_the_node_that_runs_a_call_loses_no_call_and_its_sockets_on_the_other_nodes_relay_again()
    {
        try
        {
            using var entry = cluster.Client(0);
            var call = await CreateAsync(entry);
            var host = await cluster.NodeRunningAsync(call.CallId);
            var (first, second) = host switch { 0 => (1, 2), 1 => (0, 2), _ => (0, 1) };
            using var joinVia = cluster.Client(first);
            var peerB = await JoinAsync(joinVia, call.CallId);
            await using var a = await WsClient.ConnectAsync(cluster.Socket(first, call.CallId, call.PeerId), $"A on node {first}");
            await a.ExpectStateAsync("active", 2, 1);
            await using var b = await WsClient.ConnectAsync(cluster.Socket(second, call.CallId, peerB), $"B on node {second}");
            await a.ExpectAsync("join");
            await AssertRelayAsync(a, b);

            cluster.Node(host).Kill();
            var clock = Stopwatch.StartNew();
            output.WriteLine($"killed at {DateTime.Now:HH:mm:ss.fff}");
            // Both sockets are on surviving nodes: they keep relaying to each other while their call comes back.
            await a.SendTextAsync("""{"type":"offer","sdp":"v=0 sent as the node died"}""");
            await b.ExpectAsync("offer", m => m.Raw.Contains("sent as the node died", StringComparison.Ordinal));

            // The call is usable again when a surviving node answers for it with both participants connected.
            using var survivor = cluster.Client(first);
            string? last = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                using var response = await survivor.GetAsync($"/apiv2/calls/{call.CallId}");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode && (int)(await response.JsonAsync())["participants"]!["connected"]! == 2) break;
                await Task.Delay(100); // polling what a client would see; the recovery has no event a client can wait on
            }
            var recovered = clock.Elapsed;
            output.WriteLine($"node {host} killed; the call answered with both participants connected {recovered.TotalSeconds:F1} s later (last: {last})");
            foreach (var line in new[] { first, second }.SelectMany(n => cluster.Node(n).Stdout.Split('\n'))
                .Where(l => l.Contains("UNREACHABLE", StringComparison.Ordinal) || l.Contains("SBR took", StringComparison.Ordinal)
                    || l.Contains("restored", StringComparison.Ordinal) || l.Contains("attaching again", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal))
                output.WriteLine(line.Length > 160 ? line[..160] : line); // the failover's timeline
            // The figure (10-12 s here) is a benchmark (docs/benchmarks.md); the test asserts that the call comes back at all.
            Assert.True(recovered < TimeSpan.FromSeconds(40), $"the call was not usable again after {recovered.TotalSeconds:F1} s; last answer {last}");

            await AssertRelayAsync(a, b);
            await AssertRelayAsync(b, a);
            foreach (var node in new[] { first, second })
            {
                using var http = cluster.Client(node);
                var status = await StatusAsync(http, call.CallId);
                Assert.Equal(("active", 2), ((string?)status["status"], (int)status["participants"]!["connected"]!));
            }
            // The restored call still ends as a call does.
            await a.SendTextAsync("""{"type":"leave"}""");
            await b.AssertClosedAsync(1000);
            Assert.Equal("ended", (string?)(await StatusAsync(survivor, call.CallId))["status"]);
        }
        catch
        {
            output.WriteLine(cluster.Output);
            throw;
        }
    }
}

/// <summary>A second cluster: a node killed by one test cannot be killed again by another (two of three must live).</summary>
public sealed class ThreeMoreLoggingNodes : ThreeNodes
{
    protected override string LogLevel => "Information";
}

/// <summary>A participant whose socket was on the node that died comes back through another node, as itself.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterReconnectTests(ThreeMoreLoggingNodes cluster, ITestOutputHelper output) : IClassFixture<ThreeMoreLoggingNodes>
{
    [Fact]
    public async Task A_socket_lost_with_its_node_reconnects_to_another_node_with_its_peer_id_and_the_call_resumes()
    {
        try
        {
            using var entry = cluster.Client(0);
            var call = await CreateAsync(entry);
            var host = await cluster.NodeRunningAsync(call.CallId);
            var (other, spare) = host switch { 0 => (1, 2), 1 => (0, 2), _ => (0, 1) };
            using var otherHttp = cluster.Client(other);
            var peerB = await JoinAsync(otherHttp, call.CallId);
            var a = await WsClient.ConnectAsync(cluster.Socket(host, call.CallId, call.PeerId), $"A on node {host}");
            await using var b = await WsClient.ConnectAsync(cluster.Socket(other, call.CallId, peerB), $"B on node {other}");
            await a.ExpectAsync("join");
            await AssertRelayAsync(a, b);

            cluster.Node(host).Kill();
            var clock = Stopwatch.StartNew();
            await a.ClosedAsync(TimeSpan.FromSeconds(30)); // A's browser sees its socket drop, and reconnects elsewhere
            await a.DisposeAsync();
            WsClient? again = null;
            while (again is null && clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                var attempt = await WsClient.ConnectAsync(cluster.Socket(spare, call.CallId, call.PeerId), $"A again on node {spare}");
                var first = await attempt.ReceiveAsync(TimeSpan.FromSeconds(20));
                if (first.Type != "error") again = attempt;
                else await attempt.DisposeAsync(); // the call is not back yet: a browser retries the same way
            }
            Assert.NotNull(again);
            await using var _ = again;
            await again.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(20));
            output.WriteLine($"node {host} killed; A was back through node {spare} with B connected {clock.Elapsed.TotalSeconds:F1} s later");
            await AssertRelayAsync(again, b);
            await AssertRelayAsync(b, again);
        }
        catch
        {
            output.WriteLine(cluster.Output);
            throw;
        }
    }
}

/// <summary>A third cluster, for a node that leaves on purpose.</summary>
public sealed class ThreeNodesOneLeaving : ThreeNodes
{
    protected override string LogLevel => "Information";
}

/// <summary>A node stopped on purpose (SIGTERM, as in a rolling restart) closes its sockets with 1001 so that their
/// clients reconnect elsewhere, and the calls it ran go on from another node.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterLeaveTests(ThreeNodesOneLeaving cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesOneLeaving>
{
    [Fact]
    public async Task A_node_asked_to_stop_closes_its_sockets_going_away_and_its_calls_resume_on_the_others()
    {
        try
        {
            using var entry = cluster.Client(0);
            var call = await CreateAsync(entry);
            var host = await cluster.NodeRunningAsync(call.CallId);
            var (other, spare) = host switch { 0 => (1, 2), 1 => (0, 2), _ => (0, 1) };
            using var otherHttp = cluster.Client(other);
            var peerB = await JoinAsync(otherHttp, call.CallId);
            await using var a = await WsClient.ConnectAsync(cluster.Socket(host, call.CallId, call.PeerId), $"A on node {host}");
            await using var b = await WsClient.ConnectAsync(cluster.Socket(other, call.CallId, peerB), $"B on node {other}");
            await a.ExpectAsync("join");
            await AssertRelayAsync(a, b);

            cluster.Node(host).Terminate();
            var clock = Stopwatch.StartNew();
            await a.AssertClosedAsync(1001);
            Assert.Equal(0, await cluster.Node(host).WaitForExitAsync(TimeSpan.FromSeconds(20)));
            await using var again = await WsClient.ConnectAsync(cluster.Socket(spare, call.CallId, call.PeerId), $"A again on node {spare}");
            await again.ExpectStateAsync(connected: 2, timeout: TimeSpan.FromSeconds(20));
            output.WriteLine($"node {host} stopped; A was back through node {spare} with B connected {clock.Elapsed.TotalSeconds:F1} s later");
            await AssertRelayAsync(again, b);
            await AssertRelayAsync(b, again);
        }
        catch
        {
            output.WriteLine(cluster.Output);
            throw;
        }
    }
}

/// <summary>A fourth cluster, restarted node by node.</summary>
public sealed class ThreeNodesRestarted : ThreeNodes
{
    protected override string LogLevel => "Information";
}

/// <summary>An upgrade as operators run it: each node in turn stopped with SIGTERM and started again. The call
/// survives all three: its clients reconnect through a node that is up, and it goes on wherever it now lives.</summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterRollingRestartTests(ThreeNodesRestarted cluster, ITestOutputHelper output) : IClassFixture<ThreeNodesRestarted>
{
    [Fact]
    public async Task A_call_survives_a_rolling_restart_of_all_three_nodes()
    {
        try
        {
            using var entry = cluster.Client(0);
            var call = await CreateAsync(entry);
            var peerB = await JoinAsync(entry, call.CallId);
            var peers = new[] { call.PeerId, peerB };
            var at = new[] { 0, 1 };
            var sockets = new WsClient[2];
            sockets[0] = await WsClient.ConnectAsync(cluster.Socket(at[0], call.CallId, peers[0]), "A");
            sockets[1] = await WsClient.ConnectAsync(cluster.Socket(at[1], call.CallId, peers[1]), "B");
            await sockets[0].ExpectAsync("join");
            await AssertRelayAsync(sockets[0], sockets[1]);

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
            foreach (var socket in sockets) await socket.DisposeAsync();
        }
        catch
        {
            output.WriteLine(cluster.Output);
            throw;
        }
    }
}
