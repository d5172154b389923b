using Microsoft.Extensions.Time.Testing;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Zvonim.Web.Signaling;
using Zvonim.Tests.TestKit;
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
    /// B reads nothing at first. A floods 24 MB of numbered frames: far more than the socket buffers and B's send queue
    /// (256; congested at 64) hold. The server slows A down (stops reading it while B's queue is congested) rather than
    /// dropping B or A's frames: B starts reading once the server holds A back, gets every frame, in order, and nobody
    /// is closed or told of an error. (Without the hold, B's queue overflows and B is closed long before A is done.)
    /// </summary>
    [Fact]
    public async Task A_slow_reader_slows_its_sender_down_and_loses_nothing()
    {
        var time = Clocks.Fake(); // the stall timer never fires: B is slow, not stalled
        await using var server = Server(time, ("Zvonim:Signaling:SendQueueLimit", "256"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);
        using var slow = new ClientWebSocket();
        using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await slow.ConnectAsync(SocketUri(server, call.CallId, peerB), connect.Token);
        await a.ExpectStateAsync("active", count: 2, connected: 2);

        const int Count = 400;
        var padding = new string('x', 60_000);
        var flood = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++) await a.SendTextAsync($$"""{"type":"ice-candidate","n":{{i}},"pad":"{{padding}}"}""");
        });

        await Task.WhenAny(server.Services.GetRequiredService<WebSocketBridge>().HeldReaders.FirstHeld, flood).WaitAsync(TimeSpan.FromSeconds(60));
        using (var read = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            Assert.Equal(Enumerable.Range(0, Count), await ReadAllAsync(slow, "ice-candidate", Count, new byte[1 << 17], read.Token));
        await flood.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketState.Open, slow.State);
        Assert.False(a.IsClosed);
        Assert.DoesNotContain(a.Received, m => m.Type == "error");
    }

    /// <summary>
    /// Seed 002's user sockets, where one socket carries a device's calls and its frames pass through two actors:
    /// Anna's phone floods Boris's with 20 000 small frames. Her socket is read no faster than his drains; nothing is
    /// lost, nobody is closed. Before, her socket was read far ahead of the actors, and Boris's send queue overflowed
    /// (close 1008) before the news of his congestion could pause her.
    /// </summary>
    [Fact]
    public async Task A_device_flooding_a_call_is_read_no_faster_than_the_other_side_takes_it_and_loses_nothing()
    {
        var time = Clocks.Fake();
        await using var server = Server(time, ("Zvonim:Signaling:SendQueueLimit", "256"));
        using var http = server.Client();
        var anna = await Contracts.SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await Contracts.SignedInUser.RegisterAsync(server, http, "boris");
        await using var annaPhone = await anna.DeviceAsync();
        using var borisPhone = new ClientWebSocket();
        borisPhone.Options.SetRequestHeader("Authorization", $"Bearer {boris.Token}");
        var buffer = new byte[1 << 17];
        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await borisPhone.ConnectAsync(server.WebSocketUri("/api/v1/ws"), read.Token);
        Assert.Contains("\"ready\"", await ReceiveTextAsync(borisPhone, buffer, read.Token));
        var callId = await anna.CallAsync(boris);
        Assert.Contains("call:incoming", await ReceiveTextAsync(borisPhone, buffer, read.Token));
        await borisPhone.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"call:accept","callId":"{{callId}}"}"""), WebSocketMessageType.Text, true, read.Token);
        await annaPhone.ExpectAsync("call:accept");
        // Her first frame makes her side of the call; what she says before it is admitted is held within PendingLimit.
        await annaPhone.SendTextAsync($$"""{"type":"webrtc:offer","callId":"{{callId}}","sdp":"v=0"}""");
        Assert.Contains("webrtc:offer", await ReceiveTextAsync(borisPhone, buffer, read.Token));

        const int Count = 20_000;
        var flood = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
                await annaPhone.SendTextAsync($$"""{"type":"webrtc:ice-candidate","callId":"{{callId}}","n":{{i}}}""");
        });

        Assert.Equal(Enumerable.Range(0, Count), await ReadAllAsync(borisPhone, "webrtc:ice-candidate", Count, buffer, read.Token));
        await flood.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketState.Open, borisPhone.State);
        Assert.False(annaPhone.IsClosed);
        Assert.DoesNotContain(annaPhone.Received, m => m.Type == "error");
    }

    /// <summary>
    /// B's socket never reads. A floods large frames until the server stops reading A. B's queue stays full with no
    /// send completing: after the stall timeout (virtual time) B is dropped, A is read again and goes on, and B can
    /// come back. The flood's sender is never closed; what it sends after B is gone is held for B (a few, then
    /// queue_full errors), as for any participant not connected.
    /// </summary>
    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_after_the_stall_timeout_and_the_sender_goes_on()
    {
        var time = Clocks.Fake();
        await using var server = Server(time, ("Zvonim:Signaling:SendQueueLimit", "256"), ("Zvonim:Signaling:PendingLimit", "8"),
            ("Zvonim:Signaling:StallTimeout", "00:00:10"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);
        using var stalled = new ClientWebSocket(); // never reads
        using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await stalled.ConnectAsync(SocketUri(server, call.CallId, peerB), connect.Token);
        await a.ExpectStateAsync("active", count: 2, connected: 2);
        var before = a.Received.Count;
        bool Dropped() => a.Received.Skip(before).Any(m => m.Type == "state" && (int?)m.Json["participants"]?["connected"] == 1);

        var frame = Encoding.UTF8.GetBytes("{\"type\":\"offer\",\"sdp\":\"" + new string('x', 60_000) + "\"}");
        var flood = Task.Run(async () =>
        {
            for (var i = 0; i < 400; i++) await a.SendBytesAsync(frame); // 24 MB: blocks while the server is not reading A
        });
        // While virtual time stands still B is only congested, not stalled: the server pauses A rather than drop B.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.False(Dropped(), "B was dropped before its stall timeout");
        Assert.False(flood.IsCompleted, "A was not slowed down: all 24 MB went through to a client that reads nothing");
        // Virtual time moves in steps of a quarter of the stall timeout until the server gives up on B. The steps' real
        // pauses let the server's threads run; on two busy cores they may need many before it has handled them.
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (!Dropped() && patience.Elapsed < TimeSpan.FromSeconds(45))
        {
            time.Advance(TimeSpan.FromSeconds(2.5));
            await Task.Delay(25);
        }
        Assert.True(Dropped(), "the stalled client was never dropped");
        // The server let go of B's connection as well (its stuck send ended, its handler returned): what TCP still
        // held for B arrives, then the connection ends, rather than staying open with a send that never completes.
        Assert.True(await EndsAfterDrainingAsync(stalled, TimeSpan.FromSeconds(30)), "the stalled client's connection was never closed");
        var dropped = a.Received.Skip(before).TakeWhile(m => !(m.Type == "state" && (int?)m.Json["participants"]?["connected"] == 1));
        Assert.DoesNotContain(dropped, m => m.Type == "error"); // until B was dropped, nothing of A's was refused

        await flood.WaitAsync(TimeSpan.FromSeconds(30)); // A is read again
        Assert.Equal(WebSocketState.Open, a.Socket.State);
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);

        await using var b = await ConnectAsync(server, call.CallId, peerB, "B again");
        await a.ExpectStateAsync("active", count: 2, connected: 2);
        var offer = """{"type":"offer","sdp":"after the flood"}""";
        await a.SendTextAsync(offer);
        await b.CollectUntilAsync(m => m.Raw == offer, what: "the offer sent after the flood");
        await AssertRelayAsync(b, a);
    }

    /// <summary>Reads whatever arrives until the connection ends (a close, or an error once the server has dropped it);
    /// false if it is still open after <paramref name="patience"/>.</summary>
    private static async Task<bool> EndsAfterDrainingAsync(ClientWebSocket socket, TimeSpan patience)
    {
        var buffer = new byte[1 << 16];
        using var deadline = new CancellationTokenSource(patience);
        try
        {
            while ((await socket.ReceiveAsync(buffer, deadline.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
            return true;
        }
        catch (WebSocketException)
        {
            return true;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Reads until <paramref name="count"/> frames of <paramref name="type"/> have come (or the socket closed);
    /// returns their numbers ("n") in the order they came.</summary>
    private static async Task<List<int>> ReadAllAsync(ClientWebSocket socket, string type, int count, byte[] buffer, CancellationToken ct)
    {
        var numbers = new List<int>();
        while (numbers.Count < count)
        {
            var message = await ReceiveTextAsync(socket, buffer, ct);
            if (message is null) break;
            using var json = System.Text.Json.JsonDocument.Parse(message);
            if (json.RootElement.GetProperty("type").GetString() == type) numbers.Add(json.RootElement.GetProperty("n").GetInt32());
        }
        return numbers;
    }

    private static async Task<string?> ReceiveTextAsync(ClientWebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
        }
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
