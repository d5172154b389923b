using System.Net;
using System.Net.WebSockets;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Api;

/// <summary>Dropped sockets keep their place for the reconnect grace (virtual time); a newer socket supersedes an older one.</summary>
public sealed class ReconnectTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private static ZvonimServer Server(ManualTimeProvider time, string whenPeerLeaves = "End") => ApiKit.Server(time,
        ("Zvonim:Calls:ReconnectGrace", "00:00:30"),
        ("Zvonim:Calls:WhenPeerLeaves", whenPeerLeaves));

    [Fact]
    public async Task Within_the_grace_B_reconnects_with_the_same_peer_id_and_the_call_resumes()
    {
        var time = new ManualTimeProvider();
        await using var server = Server(time);
        using var http = server.Http();
        var (call, peerB, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            b.Abort(); // a lost network: no close handshake
            await a.ExpectStateAsync("active", count: 2, connected: 1);

            // What A says meanwhile waits for B.
            var offer = """{"type":"offer","sdp":"sent while B was away"}""";
            var candidate = """{"type":"ice-candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host"}}""";
            await a.SendTextAsync(offer);
            await a.SendTextAsync(candidate);

            time.Advance(Grace - TimeSpan.FromSeconds(1));
            var status = await ApiKit.StatusAsync(http, call.CallId);
            Assert.Equal("active", (string?)status["status"]);
            Assert.Equal(2, (int?)status["participants"]?["count"]);

            await using var again = await SignalClient.ConnectAsync(server, call.CallId, peerB, "B again");
            await again.ExpectStateAsync("active", count: 2, connected: 2);
            await a.ExpectAsync("join");
            await a.ExpectStateAsync("active", count: 2, connected: 2);
            Assert.Equal(offer, (await again.ExpectAsync("offer")).Raw);
            Assert.Equal(candidate, (await again.ExpectAsync("ice-candidate")).Raw);

            await ApiKit.AssertRelayAsync(a, again);
            await ApiKit.AssertRelayAsync(again, a);

            // The old deadline is stale: passing it now changes nothing.
            time.Advance(TimeSpan.FromSeconds(5));
            await a.SyncAsync();
            status = await ApiKit.StatusAsync(http, call.CallId);
            Assert.Equal("active", (string?)status["status"]);
            Assert.Equal(2, (int?)status["participants"]?["connected"]);
            Assert.False(a.IsClosed);
            Assert.False(again.IsClosed);
        }
    }

    [Fact]
    public async Task Past_the_grace_B_has_left_the_call_ends_and_a_late_reconnect_is_refused_with_4410()
    {
        var time = new ManualTimeProvider();
        await using var server = Server(time);
        using var http = server.Http();
        var (call, peerB, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            b.Abort();
            await a.ExpectStateAsync("active", count: 2, connected: 1);

            time.Advance(Grace + TimeSpan.FromSeconds(1));
            await a.ExpectAsync("leave");
            await a.ExpectStateAsync("ended");
            Assert.Equal(WebSocketCloseStatus.NormalClosure, (await a.ClosedAsync()).Status);
            await ApiKit.WaitForStatusAsync(http, call.CallId, "ended");

            await using var late = await SignalClient.ConnectAsync(server, call.CallId, peerB, "B late");
            ApiKit.AssertErrorFrame(await late.NextAsync(), "call_ended");
            var (status, reason) = await late.ClosedAsync();
            Assert.Equal(4410, (int?)status);
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
    }

    [Fact]
    public async Task Past_the_grace_with_WhenPeerLeaves_Waiting_B_is_gone_and_its_reconnect_is_refused_with_4403()
    {
        var time = new ManualTimeProvider();
        await using var server = Server(time, "Waiting");
        using var http = server.Http();
        var (call, peerB, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            b.Abort();
            await a.ExpectStateAsync("active", count: 2, connected: 1);

            time.Advance(Grace + TimeSpan.FromSeconds(1));
            await a.ExpectAsync("leave");
            await a.ExpectStateAsync("waiting", count: 1, connected: 1);
            await ApiKit.WaitForStatusAsync(http, call.CallId, "waiting", count: 1);

            await using var late = await SignalClient.ConnectAsync(server, call.CallId, peerB, "B late");
            ApiKit.AssertErrorFrame(await late.NextAsync(), "unknown_peer");
            var (status, reason) = await late.ClosedAsync();
            Assert.Equal(4403, (int?)status);
            Assert.False(string.IsNullOrWhiteSpace(reason));

            // The place is free again.
            var peerC = await ApiKit.JoinAsync(http, call.CallId);
            await using var c = await SignalClient.ConnectAsync(server, call.CallId, peerC, "C");
            await a.ExpectAsync("join");
            await ApiKit.AssertRelayAsync(a, c);
        }
    }

    [Fact]
    public async Task Both_dropping_and_nobody_coming_back_ends_the_call()
    {
        var time = new ManualTimeProvider();
        await using var server = Server(time, "Waiting");
        using var http = server.Http();
        var (call, _, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            b.Abort();
            await a.ExpectStateAsync("active", count: 2, connected: 1);
            a.Abort();
            // Both drops are registered once a GET shows nobody connected; only then are both deadlines armed.
            for (var i = 0; ; i++)
            {
                var s = await ApiKit.StatusAsync(http, call.CallId);
                if ((int?)s["participants"]?["connected"] == 0) break;
                Assert.True(i < 200, "the server never noticed A's drop");
                await Task.Delay(25);
            }
            time.Advance(Grace + TimeSpan.FromSeconds(1));
            await ApiKit.WaitForStatusAsync(http, call.CallId, "ended");
        }
    }

    [Fact]
    public async Task A_second_socket_with_the_same_peer_id_supersedes_the_first_which_closes_with_4001()
    {
        await using var server = ApiKit.Server();
        using var http = server.Http();
        var (call, peerB, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            await using var b2 = await SignalClient.ConnectAsync(server, call.CallId, peerB, "B2");
            var (status, reason) = await b.ClosedAsync();
            Assert.Equal(4001, (int?)status);
            Assert.False(string.IsNullOrWhiteSpace(reason));

            await b2.ExpectStateAsync("active", count: 2, connected: 2);
            await a.ExpectAsync("join");
            var offer = """{"type":"offer","sdp":"to the newest socket"}""";
            await a.SendTextAsync(offer);
            Assert.Equal(offer, (await b2.ExpectAsync("offer")).Raw);
            await ApiKit.AssertRelayAsync(b2, a);
            Assert.DoesNotContain(b.Log, m => m.Raw == offer);

            var s = await ApiKit.StatusAsync(http, call.CallId);
            Assert.Equal("active", (string?)s["status"]);
            Assert.Equal(2, (int?)s["participants"]?["count"]);
            Assert.Equal(2, (int?)s["participants"]?["connected"]);
        }
    }

    [Fact]
    public async Task The_superseded_socket_closing_does_not_count_as_a_drop()
    {
        var time = new ManualTimeProvider();
        await using var server = Server(time);
        using var http = server.Http();
        var (call, peerB, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            await using var b2 = await SignalClient.ConnectAsync(server, call.CallId, peerB, "B2");
            Assert.Equal(4001, (int?)(await b.ClosedAsync()).Status);
            await b2.ExpectStateAsync("active", count: 2, connected: 2);
            time.Advance(Grace * 3);
            await ApiKit.AssertRelayAsync(a, b2);
            var s = await ApiKit.StatusAsync(http, call.CallId);
            Assert.Equal("active", (string?)s["status"]);
            Assert.Equal(2, (int?)s["participants"]?["connected"]);
        }
    }
}
