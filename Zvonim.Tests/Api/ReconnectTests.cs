using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Net.WebSockets;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>Dropped sockets keep their place for the reconnect grace (virtual time); a newer socket supersedes an older one.</summary>
public sealed class ReconnectTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();

    /// <summary>A server on this test's virtual time, with the 30 s grace.</summary>
    private ZvonimServer Server(string whenPeerLeaves = "End") => HttpKit.Server(_time,
        ("Zvonim:Calls:ReconnectGrace", "00:00:30"),
        ("Zvonim:Calls:WhenPeerLeaves", whenPeerLeaves));

    /// <summary>B's network is lost (no close handshake): A hears B's socket go, B's place is held.</summary>
    private static async Task DropBAsync(Pair pair)
    {
        pair.B.Abort();
        await pair.A.ExpectStateAsync("active", count: 2, connected: 1);
    }

    [Fact]
    public async Task Within_the_grace_B_reconnects_with_the_same_peer_id_and_the_call_resumes()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, b) = pair;

        await DropBAsync(pair);

        // What A says meanwhile waits for B.
        var offer = """{"type":"offer","sdp":"sent while B was away"}""";
        var candidate = """{"type":"ice-candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host"}}""";
        await a.SendTextAsync(offer);
        await a.SendTextAsync(candidate);

        _time.Advance(Grace - TimeSpan.FromSeconds(1));
        var status = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)status["status"]);
        Assert.Equal(2, (int?)status["participants"]?["count"]);

        await using var again = await ConnectAsync(server, call.CallId, peerB, "B again");
        await again.ExpectStateAsync("active", count: 2, connected: 2);
        await a.ExpectAsync("join");
        await a.ExpectStateAsync("active", count: 2, connected: 2);
        Assert.Equal(offer, (await again.ExpectAsync("offer")).Raw);
        Assert.Equal(candidate, (await again.ExpectAsync("ice-candidate")).Raw);

        await AssertRelayAsync(a, again);
        await AssertRelayAsync(again, a);

        // The old deadline is stale: passing it now changes nothing.
        _time.Advance(TimeSpan.FromSeconds(5));
        await a.SyncAsync();
        status = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)status["status"]);
        Assert.Equal(2, (int?)status["participants"]?["connected"]);
        Assert.False(a.IsClosed);
        Assert.False(again.IsClosed);
    }

    [Fact]
    public async Task Past_the_grace_B_has_left_the_call_ends_and_a_late_reconnect_is_refused_with_4410()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, _) = pair;

        await DropBAsync(pair);

        _time.Advance(Grace + TimeSpan.FromSeconds(1));
        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("ended");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await a.ClosedAsync()).Status);
        await WaitForStatusAsync(http, call.CallId, "ended");

        await using var late = await ConnectAsync(server, call.CallId, peerB, "B late");
        await AssertRefusedWithReasonAsync(late, "call_ended", 4410);
    }

    [Fact]
    public async Task Past_the_grace_with_WhenPeerLeaves_Waiting_B_is_gone_and_its_reconnect_is_refused_with_4403()
    {
        await using var server = Server("Waiting");
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, _) = pair;

        await DropBAsync(pair);

        _time.Advance(Grace + TimeSpan.FromSeconds(1));
        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);
        await WaitForStatusAsync(http, call.CallId, "waiting", count: 1);

        await using var late = await ConnectAsync(server, call.CallId, peerB, "B late");
        await AssertRefusedWithReasonAsync(late, "unknown_peer", 4403);

        // The place is free again.
        var peerC = await JoinAsync(http, call.CallId);
        await using var c = await ConnectAsync(server, call.CallId, peerC, "C");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, c);
    }

    [Fact]
    public async Task Both_dropping_and_nobody_coming_back_ends_the_call()
    {
        await using var server = Server("Waiting");
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, _, a, _) = pair;

        await DropBAsync(pair);
        a.Abort();
        // Both drops are registered once a GET shows nobody connected; only then are both deadlines armed.
        await WaitForConnectedAsync(http, call.CallId, 0);
        _time.Advance(Grace + TimeSpan.FromSeconds(1));
        await WaitForStatusAsync(http, call.CallId, "ended");
    }

    [Fact]
    public async Task A_second_socket_with_the_same_peer_id_supersedes_the_first_which_closes_with_4001()
    {
        await using var server = HttpKit.Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, b) = pair;

        await using var b2 = await ConnectAsync(server, call.CallId, peerB, "B2");
        Assert.False(string.IsNullOrWhiteSpace(await b.AssertClosedAsync(4001)));

        await b2.ExpectStateAsync("active", count: 2, connected: 2);
        await a.ExpectAsync("join");
        var offer = """{"type":"offer","sdp":"to the newest socket"}""";
        await a.SendTextAsync(offer);
        Assert.Equal(offer, (await b2.ExpectAsync("offer")).Raw);
        await AssertRelayAsync(b2, a);
        Assert.DoesNotContain(b.Received, m => m.Raw == offer);

        var s = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)s["status"]);
        Assert.Equal(2, (int?)s["participants"]?["count"]);
        Assert.Equal(2, (int?)s["participants"]?["connected"]);
    }

    [Fact]
    public async Task The_superseded_socket_closing_does_not_count_as_a_drop()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, b) = pair;

        await using var b2 = await ConnectAsync(server, call.CallId, peerB, "B2");
        Assert.Equal(4001, (int?)(await b.ClosedAsync()).Status);
        await b2.ExpectStateAsync("active", count: 2, connected: 2);
        _time.Advance(Grace * 3);
        await AssertRelayAsync(a, b2);
        var s = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)s["status"]);
        Assert.Equal(2, (int?)s["participants"]?["connected"]);
    }
}
