using System.Diagnostics;
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
}
