using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>Bounded queues: frames held for a peer not connected yet, and each socket's send queue.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Signals_sent_before_the_other_peer_connects_are_delivered_in_order_when_it_does()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);

        var frames = new List<string> { """{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}""" };
        frames.AddRange(Enumerable.Range(0, 4).Select(i =>
            $$$"""{"type":"ice-candidate","candidate":{"candidate":"candidate:{{{i}}} 1 udp 2122260223 192.0.2.{{{i}}} 5000{{{i}}} typ host","sdpMid":"0"}}"""));
        foreach (var frame in frames) await a.SendTextAsync(frame);
        await a.SyncAsync(); // A's frames are now held by the server, B has no socket yet
        Assert.DoesNotContain(a.Received, m => m.Type == "error");

        await using var b = await ConnectAsync(server, call.CallId, peerB, "B");
        var received = new List<string>();
        while (received.Count < frames.Count)
            received.Add((await b.CollectUntilAsync(m => m.Type is "offer" or "ice-candidate"))[^1].Raw);
        Assert.Equal(frames, received);

        await AssertRelayAsync(b, a);
    }

    [Fact]
    public async Task Signals_sent_while_alone_in_the_call_go_to_whoever_joins()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        await using var a = await ConnectCreatorAsync(server, call);
        var offer = """{"type":"offer","sdp":"before anyone joined"}""";
        await a.SendTextAsync(offer);
        await a.SyncAsync();

        var peerB = await JoinAsync(http, call.CallId);
        await using var b = await ConnectAsync(server, call.CallId, peerB, "B");
        Assert.Equal(offer, (await b.ExpectAsync("offer")).Raw);
    }

    [Fact]
    public async Task The_pending_queue_is_bounded_overflow_is_a_queue_full_error_and_the_first_frames_survive()
    {
        await using var server = Server(("Zvonim:Signaling:PendingLimit", "4"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);

        var frames = Enumerable.Range(0, 7).Select(i => $$"""{"type":"ice-candidate","n":{{i}}}""").ToList();
        foreach (var frame in frames) await a.SendTextAsync(frame);
        await a.SyncAsync();
        var errors = a.Received.Where(m => m.Type == "error").ToList();
        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => AssertErrorFrame(e, "queue_full"));
        Assert.Equal(WebSocketState.Open, a.Socket.State);

        await using var b = await ConnectAsync(server, call.CallId, peerB, "B");
        var received = new List<string>();
        while (received.Count < 4) received.Add((await b.ExpectAsync("ice-candidate")).Raw);
        Assert.Equal(frames.Take(4), received);
        await AssertRelayAsync(a, b);
        await b.SyncAsync();
        Assert.Equal(4, b.Received.Count(m => m.Type == "ice-candidate"));
    }

    /// <summary>
    /// B's socket never reads. A floods large frames; B's send queue (8) overflows and the server closes B's socket
    /// (1008, with a reason) without A or the server noticing anything but B going away.
    /// </summary>
    [Fact]
    public async Task A_client_that_stops_reading_is_closed_on_send_queue_overflow_and_the_sender_is_unaffected()
    {
        await using var server = Server(("Zvonim:Signaling:SendQueueLimit", "8"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);

        using var slow = new ClientWebSocket(); // never read until the end
        using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await slow.ConnectAsync(SocketUri(server, call.CallId, peerB), connect.Token);
        await a.ExpectStateAsync("active", count: 2, connected: 2);
        var before = a.Received.Count;
        bool Dropped() => a.Received.Skip(before).Any(m => m.Type == "state" && (int?)m.Json["participants"]?["connected"] == 1);

        var frame = Encoding.UTF8.GetBytes("{\"type\":\"offer\",\"sdp\":\"" + new string('x', 60_000) + "\"}");
        var clock = Stopwatch.StartNew();
        // 300 frames of 60 KB (18 MB): far more than the socket buffers between the server and B hold, so B's queue
        // of 8 must overflow; few enough to be sent in well under a second.
        for (var sent = 0; sent < 300 && !Dropped() && clock.Elapsed < TimeSpan.FromSeconds(20); sent++)
            await a.SendBytesAsync(frame);

        // Reading now, the slow client finds what fitted in the buffers and then the server's close: 1008 with a reason.
        var buffer = new byte[1 << 20];
        WebSocketReceiveResult? last = null;
        var frames = 0;
        using (var read = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            for (; frames < 10_000; frames++)
            {
                last = await slow.ReceiveAsync(buffer, read.Token);
                if (last.MessageType == WebSocketMessageType.Close) break;
            }
        }
        Assert.True(last?.MessageType == WebSocketMessageType.Close, $"no close after {frames} frames");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, last!.CloseStatus);
        Assert.Contains("queue", last.CloseStatusDescription, StringComparison.OrdinalIgnoreCase);
        Assert.True(frames < 300, $"B got {frames} frames: nothing was dropped");

        // The flooding side sees B go; its own socket is fine and the call goes on.
        await a.ExpectStateAsync("active", count: 2, connected: 1, timeout: TimeSpan.FromSeconds(20));
        Assert.Equal(WebSocketState.Open, a.Socket.State);
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);

        // B can come back and the relay works; the server as a whole is fine.
        await using var b = await ConnectAsync(server, call.CallId, peerB, "B again");
        await a.ExpectStateAsync("active", count: 2, connected: 2);
        var offer = """{"type":"offer","sdp":"after the flood"}""";
        await a.SendTextAsync(offer);
        await b.CollectUntilAsync(m => m.Raw == offer, what: "the offer sent after the flood");
        await AssertRelayAsync(b, a);

        await using (var other = await ConnectedPairAsync(server, http))
            await AssertRelayAsync(other.A, other.B);
        Assert.Equal("waiting", (string?)(await StatusAsync(http, (await CreateAsync(http)).CallId))["status"]);
    }

    /// <summary>A client that is gone without a word (and so never answers pings) is dropped after the keep-alive
    /// timeout; the other peer hears it.</summary>
    [Fact]
    public async Task A_socket_that_stops_answering_pings_is_dropped_after_the_keepalive_timeout()
    {
        await using var server = Server(
            ("Zvonim:Signaling:KeepAliveInterval", "00:00:01"),
            ("Zvonim:Signaling:KeepAliveTimeout", "00:00:01"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);

        using var silent = new ClientWebSocket(); // never reads, so never answers a ping
        silent.Options.KeepAliveInterval = TimeSpan.Zero;
        using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await silent.ConnectAsync(SocketUri(server, call.CallId, peerB), connect.Token);
        await a.ExpectStateAsync("active", count: 2, connected: 2);

        await a.ExpectStateAsync("active", count: 2, connected: 1, timeout: TimeSpan.FromSeconds(15));

        // A answers pings (its reader is always reading): it stays, and B can come back.
        Assert.False(a.IsClosed);
        await using var b = await ConnectAsync(server, call.CallId, peerB, "B again");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, b);
    }

    [Fact]
    public async Task Stopping_the_server_closes_open_sockets_promptly()
    {
        var server = Server();
        Task? stopping = null;
        try
        {
            using var http = server.Client();
            await using var pair = await ConnectedPairAsync(server, http);
            var (_, _, a, b) = pair;

            var clock = Stopwatch.StartNew();
            stopping = server.DisposeAsync().AsTask();
            var (status, reason) = await a.ClosedAsync(TimeSpan.FromSeconds(10));
            Assert.True(status is not null, $"the socket was dropped, not closed: {reason}");
            await b.ClosedAsync(TimeSpan.FromSeconds(10));
            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
        }
        finally
        {
            stopping ??= server.DisposeAsync().AsTask();
            await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(60)));
        }
    }
}
