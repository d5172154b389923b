using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Zvonim.Tests.Api;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Cluster;

/// <summary>Cluster tests run alone, one cluster at a time, after the others: three processes each are load enough for
/// two cores, and a failure detector must not mistake a busy machine for a dead node.</summary>
[CollectionDefinition(ThreeNodes.Collection, DisableParallelization = true)]
public sealed class ClusterCollection;

/// <summary>A call across the cluster: its id, both peers, the node that runs it, and both sockets.</summary>
public sealed record LiveCall(string CallId, string PeerA, string PeerB, int Host, WsClient A, WsClient B) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

/// <summary>Three real Zvonim processes forming one cluster on loopback, each listing all three as seeds.</summary>
public class ThreeNodes : IAsyncLifetime
{
    /// <summary>Cluster tests run one class at a time: three processes each are enough load for two cores.</summary>
    public const string Collection = "Cluster processes";

    /// <summary>The key a cluster's nodes share for access tokens (any 32 bytes, base64).</summary>
    public const string SigningKey = "dGhpcnR5LXR3by1ieXRlcy1vZi10ZXN0LWtleS0xMjM=";

    private readonly List<ServerProcess> _nodes = [];
    private readonly List<Dictionary<string, string>> _settings = [];

    public List<int> HttpPorts { get; } = [];

    /// <summary>Each node's media forwarder port (seed 001), so the nodes on one machine do not collide.</summary>
    public List<int> SfuPorts { get; } = [];

    public Uri Url(int node) => new($"http://127.0.0.1:{HttpPorts[node]}");

    public HttpClient Client(int node) => new() { BaseAddress = Url(node), Timeout = TimeSpan.FromSeconds(20) };

    public Uri Socket(int node, string callId, string peerId) =>
        new($"ws://127.0.0.1:{HttpPorts[node]}/apiv2/ws?call_id={callId}&peer_id={peerId}");

    /// <summary>The log level the nodes run at.</summary>
    protected virtual string LogLevel => "Warning";

    public ServerProcess Node(int node) => _nodes[node];

    public string Output => string.Join("\n", _nodes.Select((n, i) => $"--- node {i} ---\n{n.Stdout}\n{n.Stderr}"));

    /// <summary>Settings of a fixture's own for every node (before the nodes start: a database, say).</summary>
    protected virtual Task ConfigureAsync(Dictionary<string, string> settings) => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var common = new Dictionary<string, string>();
        await ConfigureAsync(common);
        for (var attempt = 1; ; attempt++)
        {
            Start(common);
            try
            {
                await FormedAsync();
                return;
            }
            catch (Exception) when (attempt < 3)
            {
                // A port that was free when picked was taken before the node bound it, by a process outside this
                // test run: the same cluster on fresh ports. (A node that exited has its last lines read first.)
                foreach (var node in _nodes.Where(n => n.HasExited)) await node.WaitForExitAsync(TimeSpan.FromSeconds(5));
                if (!_nodes.Any(CouldNotBind)) throw;
                foreach (var node in _nodes) await node.DisposeAsync();
                _nodes.Clear();
                _settings.Clear();
                HttpPorts.Clear();
                SfuPorts.Clear();
            }
        }
    }

    private static bool CouldNotBind(ServerProcess node) =>
        node.HasExited && (node.Stdout + node.Stderr).Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    private void Start(Dictionary<string, string> common)
    {
        var remoting = Enumerable.Range(0, 3).Select(_ => ServerProcess.FreePort()).ToList();
        for (var i = 0; i < 3; i++)
        {
            HttpPorts.Add(ServerProcess.FreePort());
            SfuPorts.Add(ServerProcess.FreeUdpPort());
            var settings = new Dictionary<string, string>
            {
                ["Serilog__MinimumLevel__Default"] = LogLevel,
                ["Zvonim__Cluster__Enabled"] = "true",
                ["Zvonim__Accounts__SigningKey"] = SigningKey, // every node signs and checks tokens with the same key
                ["Zvonim__Cluster__Hostname"] = "127.0.0.1",
                ["Zvonim__Cluster__Port"] = remoting[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Zvonim__Sfu__Port"] = SfuPorts[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                // Every node is a seed, as in a rolling restart: a node that comes back joins whichever is up.
                ["Zvonim__Cluster__SeedNodes__0"] = $"127.0.0.1:{remoting[0]}",
                ["Zvonim__Cluster__SeedNodes__1"] = $"127.0.0.1:{remoting[1]}",
                ["Zvonim__Cluster__SeedNodes__2"] = $"127.0.0.1:{remoting[2]}",
            };
            foreach (var (key, value) in common) settings[key] = value;
            _settings.Add(settings);
            _nodes.Add(new ServerProcess(settings, "--urls", Url(i).ToString().TrimEnd('/')));
        }
    }

    /// <summary>Every node stopped with SIGTERM at once, as a whole cluster is for maintenance, and all started again
    /// on the same ports; returns once they form one cluster again.</summary>
    public async Task RestartAllAsync()
    {
        foreach (var node in _nodes) node.Terminate();
        for (var i = 0; i < 3; i++)
        {
            await _nodes[i].WaitForExitAsync(TimeSpan.FromSeconds(30));
            await _nodes[i].DisposeAsync();
            _nodes[i] = new ServerProcess(_settings[i], "--urls", Url(i).ToString().TrimEnd('/'));
        }
        await FormedAsync();
    }

    /// <summary>Waits until every node listens, a call made on the first node is known to the last one, and every node
    /// is ready.</summary>
    private async Task FormedAsync()
    {
        for (var i = 0; i < 3; i++) await _nodes[i].WaitUntilListeningAsync(HttpPorts[i], TimeSpan.FromSeconds(60));
        using var first = Client(0);
        using var last = Client(2);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpStatusCode? last0 = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var created = await first.PostAsync("/apiv2/calls", null); // 503 until the shards have a home
                last0 = created.StatusCode;
                if (created.StatusCode == HttpStatusCode.OK)
                {
                    var callId = (string?)(await created.JsonAsync())["call_id"];
                    using var seen = await last.GetAsync($"/apiv2/calls/{callId}");
                    last0 = seen.StatusCode;
                    if (seen.StatusCode == HttpStatusCode.OK && await AllReadyAsync()) return;
                }
            }
            catch (TaskCanceledException)
            {
                // a node still starting on a busy machine: ask again
            }
            await Task.Delay(200); // polling the cluster's formation, which has no event a client can wait on
        }
        throw new InvalidOperationException($"The cluster did not form within 60 s (last answer {last0}):\n{Output}");
    }

    /// <summary>Whether every node says it is ready (an Up member), as a load balancer would ask, and sees all three up.
    /// A node killed while another still saw the third joining would leave the survivors one against one, and the
    /// split-brain resolver keeps the side with the lowest address: possibly the dead one.</summary>
    private async Task<bool> AllReadyAsync()
    {
        for (var node = 0; node < 3; node++)
        {
            using var http = Client(node);
            using var ready = await http.GetAsync("/readyz");
            if (ready.StatusCode != HttpStatusCode.OK || (int?)(await ready.JsonAsync())["members_up"] != 3) return false;
        }
        return true;
    }

    /// <summary>The node that runs <paramref name="callId"/>: the one whose log says it created it (log lines arrive
    /// asynchronously, so this waits for the line rather than looking once).</summary>
    public async Task<int> NodeRunningAsync(string callId)
    {
        var text = $"Call {callId} created";
        var waits = Enumerable.Range(0, 3).Select(async n =>
        {
            await _nodes[n].WaitForOutputAsync(text, TimeSpan.FromSeconds(10));
            return n;
        }).ToList();
        while (waits.Count > 0)
        {
            var done = await Task.WhenAny(waits);
            if (done.IsCompletedSuccessfully) return done.Result;
            waits.Remove(done);
        }
        throw new InvalidOperationException($"no node logged '{text}':\n{Output}");
    }

    /// <summary>The two nodes other than <paramref name="node"/>.</summary>
    public static (int, int) Others(int node) => node switch { 0 => (1, 2), 1 => (0, 2), _ => (0, 1) };

    /// <summary>A call made on node 0 and joined, with A's socket on the node <paramref name="placeA"/> picks and B's on
    /// the one <paramref name="placeB"/> picks, from the node that runs the call; both greeted and relaying.</summary>
    public async Task<LiveCall> CallAsync(Func<int, int> placeA, Func<int, int> placeB)
    {
        using var entry = Client(0);
        var call = await CreateAsync(entry);
        var host = await NodeRunningAsync(call.CallId);
        var peerB = await JoinAsync(entry, call.CallId);
        var (aNode, bNode) = (placeA(host), placeB(host));
        var a = await WsClient.ConnectAsync(Socket(aNode, call.CallId, call.PeerId), $"A on node {aNode}");
        var b = await WsClient.ConnectAsync(Socket(bNode, call.CallId, peerB), $"B on node {bNode}");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, b);
        return new LiveCall(call.CallId, call.PeerId, peerB, host, a, b);
    }

    /// <summary>Runs a test's body, printing every node's log if it fails.</summary>
    public async Task ExplainingFailuresAsync(ITestOutputHelper output, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine(Output);
            await HealAsync(output);
            throw;
        }
    }

    /// <summary>After a failure, starts again whichever node the test stopped or killed and never brought back, so the
    /// next test of the class finds a whole cluster rather than failing for this one.</summary>
    private async Task HealAsync(ITestOutputHelper output)
    {
        var stopped = Enumerable.Range(0, _nodes.Count).Where(i => _nodes[i].HasExited).ToList();
        if (stopped.Count == 0) return;
        try
        {
            foreach (var i in stopped) await RespawnAsync(i);
            await FormedAsync();
        }
        catch (Exception ex)
        {
            output.WriteLine($"nodes {string.Join(", ", stopped)} could not be started again for the next test: {ex.Message}");
        }
    }

    /// <summary>Stops <paramref name="node"/> with SIGTERM as a rolling restart does, starts it again on the same ports, and
    /// returns once it has rejoined: when it answers for <paramref name="callId"/>, which lives on some node.</summary>
    public async Task RestartAsync(int node, string callId)
    {
        await StopAsync(node);
        await RespawnAsync(node);
        await _nodes[node].WaitUntilListeningAsync(HttpPorts[node], TimeSpan.FromSeconds(60));
        using var http = Client(node);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync($"/apiv2/calls/{callId}");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (TaskCanceledException)
            {
                // still joining on a busy machine: ask again
            }
            await Task.Delay(200); // polling the node's rejoining, which has no event a client can wait on
        }
        throw new InvalidOperationException($"node {node} did not rejoin within 60 s:\n{Output}");
    }

    /// <summary>Stops <paramref name="node"/> with SIGTERM (it hands its shards over and leaves) and waits for its clean exit.</summary>
    public async Task StopAsync(int node)
    {
        _nodes[node].Terminate();
        Assert.Equal(0, await _nodes[node].WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Starts a stopped node again on its ports; returns once the three form one cluster again.</summary>
    public async Task StartAgainAsync(int node)
    {
        await RespawnAsync(node);
        await FormedAsync();
    }

    private async Task RespawnAsync(int node)
    {
        await _nodes[node].DisposeAsync();
        _nodes[node] = new ServerProcess(_settings[node], "--urls", Url(node).ToString().TrimEnd('/'));
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
    }
}

/// <summary>
/// Any node answers any request and takes any socket for any call: a plain round-robin load balancer in front works.
/// </summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterProcessTests(ThreeNodes cluster, ITestOutputHelper output) : IClassFixture<ThreeNodes>
{
    [Fact]
    public async Task A_call_created_on_one_node_is_joined_on_a_second_and_its_sockets_on_two_others_relay_both_ways()
    {
        try
        {
            using var node0 = cluster.Client(0);
            using var node1 = cluster.Client(1);
            var call = await CreateAsync(node0);
            var peerB = await JoinAsync(node1, call.CallId);
            await using var a = await WsClient.ConnectAsync(cluster.Socket(1, call.CallId, call.PeerId), "A on node 1");
            await a.ExpectStateAsync("active", 2, 1);
            await using var b = await WsClient.ConnectAsync(cluster.Socket(2, call.CallId, peerB), "B on node 2");
            await b.ExpectAsync("join");
            await a.ExpectAsync("join");
            await AssertRelayAsync(a, b);
            await AssertRelayAsync(b, a);
            for (var i = 0; i < 20; i++) await a.SendTextAsync($$$"""{"type":"ice-candidate","candidate":{"candidate":"candidate:{{{i}}} 1 udp 1 127.0.0.1 {{{5000 + i}}} typ host","sdpMid":"0","sdpMLineIndex":0}}""");
            for (var i = 0; i < 20; i++)
                Assert.Contains($"candidate:{i} ", (await b.ExpectAsync("ice-candidate")).Raw); // in order across nodes

            for (var node = 0; node < 3; node++)
            {
                using var http = cluster.Client(node);
                var status = await StatusAsync(http, call.CallId);
                Assert.Equal("active", (string?)status["status"]);
                Assert.Equal(2, (int?)status["participants"]!["connected"]);
            }

            await a.SendTextAsync("""{"type":"leave"}""");
            await b.AssertClosedAsync(1000);
            using var node2 = cluster.Client(2);
            Assert.Equal("ended", (string?)(await StatusAsync(node2, call.CallId))["status"]);
        }
        catch
        {
            output.WriteLine(cluster.Output);
            throw;
        }
    }

    [Fact]
    public async Task A_room_by_link_made_on_one_node_connects_sockets_on_two_others()
    {
        using var node0 = cluster.Client(0);
        using var created = await node0.PostAsync("/api/rooms", null);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var token = (string)(await created.JsonAsync())["token"]!;
        await using var x = await WsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster.HttpPorts[1]}/ws/rooms/{token}"), "X on node 1");
        await x.ExpectAsync("joined");
        await using var y = await WsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster.HttpPorts[2]}/ws/rooms/{token}"), "Y on node 2");
        await y.ExpectAsync("joined");
        await x.ExpectAsync("join"); // there first: X offers
        await AssertRelayAsync(x, y);
        await AssertRelayAsync(y, x);
        using var node2 = cluster.Client(2);
        var status = await (await node2.GetAsync($"/api/rooms/{token}")).JsonAsync();
        Assert.Equal(("active", 2), ((string?)status["state"], (int)status["connected"]!));
    }

    [Fact]
    public async Task A_group_room_spread_over_three_nodes_relays_to_the_addressed_member()
    {
        using var node0 = cluster.Client(0);
        using var node1 = cluster.Client(1);
        using var node2 = cluster.Client(2);
        var alice = await (await node1.PostAsync("/api/room/join", Json("""{"user_name":"Alice"}"""))).JsonAsync();
        var roomId = (string)alice["room_id"]!;
        var bob = await (await node2.PostAsync("/api/room/join", Json($$"""{"room_id":"{{roomId}}","user_name":"Bob"}"""))).JsonAsync();
        Uri Socket(int node, JsonObject user) =>
            new($"ws://127.0.0.1:{cluster.HttpPorts[node]}/ws?room_id={roomId}&user_id={user["user_id"]}&token={user["token"]}");
        await using var a = await WsClient.ConnectAsync(Socket(0, alice), "Alice on node 0");
        await using var b = await WsClient.ConnectAsync(Socket(2, bob), "Bob on node 2");
        await a.ExpectAsync("user-joined", m => (string?)m["user_id"] == (string?)bob["user_id"]);
        await b.SendTextAsync($$"""{"type":"offer","to":"{{alice["user_id"]}}","sdp":"v=0 from bob"}""");
        var offer = await a.ExpectAsync("offer");
        Assert.Equal((string?)bob["user_id"], (string?)offer["from"]);
        Assert.Contains("v=0 from bob", offer.Raw);

        var info = await (await node0.GetAsync($"/api/room/{roomId}/info")).JsonAsync();
        Assert.Equal(2, info["users"]!.AsArray().Count(u => (bool)u!["is_online"]!));
    }

    [Fact]
    public async Task Every_node_of_the_formed_cluster_is_ready()
    {
        for (var node = 0; node < 3; node++)
        {
            using var http = cluster.Client(node);
            Assert.Equal("ready", (string?)(await OkAsync(await http.GetAsync("/readyz")))["status"]);
        }
    }

    [Fact]
    public async Task An_id_no_node_knows_is_404_from_every_node()
    {
        for (var node = 0; node < 3; node++)
        {
            using var http = cluster.Client(node);
            await AssertErrorAsync(await http.GetAsync($"/apiv2/calls/{UnknownId}"), HttpStatusCode.NotFound, "not_found");
            await AssertJoinRefusedAsync(http, UnknownId, HttpStatusCode.NotFound, "not_found");
        }
    }
}
