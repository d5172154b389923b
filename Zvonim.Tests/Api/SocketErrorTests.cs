using System.Net.WebSockets;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>
/// Errors on the socket: refusals (error frame, then a close with a 44xx code and a reason) and bad frames (an error
/// frame; the socket and the call go on).
/// </summary>
public sealed class SocketErrorTests
{
    [Fact]
    public async Task Unknown_call_is_refused_with_not_found_and_4404()
    {
        await using var server = Server();
        await using var socket = await ConnectAsync(server, UnknownId, UnknownId);
        await AssertRefusedWithReasonAsync(socket, "not_found", 4404);
    }

    [Fact]
    public async Task A_peer_id_not_in_the_call_is_refused_with_unknown_peer_and_4403_and_the_call_is_untouched()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, _, a, b) = pair;

        await using var intruder = await ConnectAsync(server, call.CallId, UnknownId, "intruder");
        await AssertRefusedWithReasonAsync(intruder, "unknown_peer", 4403);

        var status = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)status["status"]);
        Assert.Equal(2, (int?)status["participants"]?["count"]);
        Assert.Equal(2, (int?)status["participants"]?["connected"]);
        await AssertRelayAsync(a, b);
        await AssertRelayAsync(b, a);
    }

    [Fact]
    public async Task A_peer_id_of_another_call_is_refused_with_4403()
    {
        await using var server = Server();
        using var http = server.Client();
        var one = await CreateAsync(http);
        var two = await CreateAsync(http);
        await using var socket = await ConnectAsync(server, two.CallId, one.PeerId);
        await AssertRefusedWithReasonAsync(socket, "unknown_peer", 4403);
    }

    [Fact]
    public async Task A_participant_of_an_ended_call_is_refused_with_call_ended_and_4410()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        using (var leave = await LeaveAsync(http, call.CallId, call.PeerId))
            Assert.Equal(System.Net.HttpStatusCode.OK, leave.StatusCode);

        // B is still on the (ended) call's list, so this is "ended", not "unknown peer".
        await using var b = await ConnectAsync(server, call.CallId, peerB, "B");
        await AssertRefusedWithReasonAsync(b, "call_ended", 4410);
    }

    // The seed trusts call_id/peer_id as keys; whatever a client puts there must be refused cleanly,
    // never by dropping the connection.
    [Theory]
    [InlineData("a/b")]
    [InlineData("/")]
    [InlineData("../../user")]
    [InlineData("peer id with spaces")]
    [InlineData("ключ")]
    [InlineData("V1StGXR8_Z5jdHi6B-myT V1StGXR8_Z5jdHi6B-myT V1StGXR8_Z5jdHi6B-myT V1StGXR8_Z5jdHi6B-myT")]
    public async Task A_malformed_peer_id_is_refused_with_unknown_peer_and_4403(string peerId)
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        await using var socket = await ConnectAsync(server, call.CallId, peerId);
        await AssertRefusedWithReasonAsync(socket, "unknown_peer", 4403);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("../calls")]
    [InlineData("$temp")]
    public async Task A_malformed_call_id_is_refused_with_not_found_and_4404(string callId)
    {
        await using var server = Server();
        await using var socket = await ConnectAsync(server, callId, UnknownId);
        await AssertRefusedWithReasonAsync(socket, "not_found", 4404);
    }

    public static TheoryData<string, string> BadFrames => new()
    {
        { "not json at all", "invalid_json" },
        { "", "invalid_json" },
        { "   ", "invalid_json" },
        { "null", "invalid_json" },
        { "42", "invalid_json" },
        { "\"offer\"", "invalid_json" },
        { "[{\"type\":\"offer\"}]", "invalid_json" },
        { "{}", "invalid_json" },
        { "{\"sdp\":\"v=0\"}", "invalid_json" },
        { "{\"type\":5}", "invalid_json" },
        { "{\"type\":null}", "invalid_json" },
        { "{\"type\":[\"offer\"]}", "invalid_json" },
        { "{\"type\":\"offer\"", "invalid_json" },
        { "{\"type\":\"offer\",}", "invalid_json" },
        { "{\"type\":\"offer\"}{\"type\":\"offer\"}", "invalid_json" },
        { "{\"type\":\"offer\"} x", "invalid_json" },
        { "{'type':'offer'}", "invalid_json" },
        { "{\"type\":\"offer\",\"sdp\":" + new string('[', 500) + new string(']', 500) + "}", "invalid_json" },
        { "{\"type\":\"hello\"}", "unknown_type" },
        { "{\"type\":\"\"}", "unknown_type" },
        { "{\"type\":\"OFFER\"}", "unknown_type" },
        { "{\"type\":\"state\",\"status\":\"ended\"}", "unknown_type" },
        { "{\"type\":\"error\",\"error\":\"x\"}", "unknown_type" },
        { "{\"type\":\"ice_candidate\"}", "unknown_type" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_bad_frame_gets_an_error_frame_and_the_socket_and_the_call_go_on(string frame, string error)
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, _, a, b) = pair;

        await a.SendTextAsync(frame);
        AssertErrorFrame(await a.ExpectAsync("error"), error);
        Assert.Equal(WebSocketState.Open, a.Socket.State);

        // Twice in a row changes nothing either.
        await a.SendTextAsync(frame);
        AssertErrorFrame(await a.ExpectAsync("error"), error);

        await AssertRelayAsync(a, b);
        await AssertRelayAsync(b, a);
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);
        // The error is the sender's business only.
        await b.SyncAsync();
        Assert.DoesNotContain(b.Received, m => m.Type == "error");
        Assert.DoesNotContain(b.Received, m => m.Raw == frame);
    }

    /// <summary>A browser's JSON.parse keeps the last of repeated keys: a relayed frame must not be able to read as
    /// one of the server's own messages (state, error, join, leave) on the other side.</summary>
    [Theory]
    [InlineData("""{"type":"offer","type":"state","status":"ended","participants":{"count":0},"marker":"spoof"}""")]
    [InlineData("""{"type":"ice-candidate","marker":"spoof","type":"error","error":"call_ended","message":"fake"}""")]
    [InlineData("""{"type":"answer","type":"leave","marker":"spoof"}""")]
    public async Task A_frame_with_a_repeated_type_is_refused_and_never_reaches_the_other_peer(string frame)
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        await a.SendTextAsync(frame);
        var error = await a.ExpectAsync("error");
        Assert.Contains((string?)error.Json["error"], new[] { "invalid_json", "unknown_type" });
        await AssertRelayAsync(a, b);
        await b.SyncAsync();
        Assert.DoesNotContain(b.Received, m => m.Raw.Contains("spoof", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_binary_frame_gets_invalid_message_is_not_relayed_and_the_socket_goes_on()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        await a.SendBytesAsync("""{"type":"offer","sdp":"binary"}"""u8.ToArray(), WebSocketMessageType.Binary);
        AssertErrorFrame(await a.ExpectAsync("error"), "invalid_message");
        await a.SendBytesAsync([0, 1, 2, 255], WebSocketMessageType.Binary);
        AssertErrorFrame(await a.ExpectAsync("error"), "invalid_message");
        Assert.Equal(WebSocketState.Open, a.Socket.State);

        // The first offer B sees is the text one sent after: the binary one never went anywhere.
        var offer = """{"type":"offer","sdp":"text"}""";
        await a.SendTextAsync(offer);
        Assert.Equal(offer, (await b.ReceiveAsync()).Raw);
    }

    /// <summary>Empty frames, sent both on an idle socket and right behind another message (so that the server finds
    /// them already buffered): the answer must not depend on timing.</summary>
    [Theory]
    [InlineData(WebSocketMessageType.Binary, "invalid_message")]
    [InlineData(WebSocketMessageType.Text, "invalid_json")]
    public async Task An_empty_frame_gets_the_same_error_however_it_arrives(WebSocketMessageType type, string error)
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        await a.SendBytesAsync([], type);
        AssertErrorFrame(await a.ExpectAsync("error"), error);

        var offers = Enumerable.Range(0, 5)
            .Select(i => "{\"type\":\"offer\",\"n\":" + i + ",\"sdp\":\"" + new string('x', 20_000) + "\"}").ToList();
        foreach (var offer in offers)
        {
            await a.SendTextAsync(offer);
            await a.SendBytesAsync([], type);
        }
        for (var i = 0; i < offers.Count; i++)
            AssertErrorFrame(await a.ExpectAsync("error"), error);
        foreach (var offer in offers)
            Assert.Equal(offer, (await b.ExpectAsync("offer")).Raw);
        await AssertRelayAsync(b, a);
    }

    [Fact]
    public async Task A_fragmented_message_is_relayed_whole()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        var offer = "{\"type\":\"offer\",\"sdp\":\"" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"a={i}\\r\\n")) + "\"}";
        await a.SendFragmentedAsync(offer, 7);
        Assert.Equal(offer, (await b.ExpectAsync("offer")).Raw);
    }

    [Fact]
    public async Task A_frame_of_exactly_64_KiB_is_relayed_intact()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        var frame = FrameOfSize("offer", 64 * 1024);
        await a.SendTextAsync(frame);
        Assert.Equal(frame, (await b.ExpectAsync("offer")).Raw);
        Assert.Equal(WebSocketState.Open, a.Socket.State);
    }

    [Theory]
    [InlineData(64 * 1024 + 1)]
    [InlineData(200 * 1024)]
    public async Task A_frame_over_64_KiB_closes_that_socket_with_1009_and_the_call_goes_on(int size)
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, b) = pair;

        await b.SendTextAsync(FrameOfSize("offer", size));
        var (status, reason) = await b.ClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Contains("65536", reason);

        // The call lost B's socket, not B: A is told, the call stays active, and B can come back.
        await a.ExpectStateAsync("active", count: 2, connected: 1);
        Assert.DoesNotContain(a.Received, m => m.Type == "offer");
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);
        await using var again = await ConnectAsync(server, call.CallId, peerB, "B again");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, again);
        await AssertRelayAsync(again, a);
    }

    [Fact]
    public async Task MaxMessageBytes_is_a_setting()
    {
        await using var server = Server(("Zvonim:Signaling:MaxMessageBytes", "2048"));
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        var fits = FrameOfSize("offer", 2048);
        await a.SendTextAsync(fits);
        Assert.Equal(fits, (await b.ExpectAsync("offer")).Raw);

        await a.SendTextAsync(FrameOfSize("offer", 2049));
        var (status, reason) = await a.ClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Contains("2048", reason);
    }

    [Fact]
    public async Task A_binary_frame_over_the_limit_also_closes_with_1009()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (_, _, a, b) = pair;

        await a.SendBytesAsync(new byte[70_000], WebSocketMessageType.Binary);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await a.ClosedAsync()).Status);
    }

    [Fact]
    public async Task Garbage_on_one_call_does_not_touch_another_calls_relay()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var one = await ConnectedPairAsync(server, http);
        var a1 = one.A;
        await using var two = await ConnectedPairAsync(server, http);
        var (call2, _, a2, b2) = two;

        var offers = Enumerable.Range(0, 50).Select(i => $$"""{"type":"offer","sdp":"call two #{{i}}"}""").ToList();
        var garbage = Task.Run(async () =>
        {
            foreach (var (frame, _) in BadFrames.Select(row => ((string)row[0], (string)row[1])))
            {
                await a1.SendTextAsync(frame);
                await a1.SendBytesAsync([1, 2, 3], WebSocketMessageType.Binary);
            }
            await a1.SendTextAsync("{\"type\":\"offer\",\"sdp\":\"" + new string('x', 70_000) + "\"}"); // closes a1 only
        });
        var relay = Task.Run(async () =>
        {
            foreach (var offer in offers) await a2.SendTextAsync(offer);
        });
        await Task.WhenAll(garbage, relay);

        var received = new List<string>();
        while (received.Count < offers.Count) received.Add((await b2.ExpectAsync("offer")).Raw);
        Assert.Equal(offers, received);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await a1.ClosedAsync()).Status);

        await a2.SyncAsync();
        await b2.SyncAsync();
        Assert.DoesNotContain(a2.Received, m => m.Type == "error");
        Assert.DoesNotContain(b2.Received, m => m.Type == "error");
        Assert.Equal(WebSocketState.Open, a2.Socket.State);
        Assert.Equal(WebSocketState.Open, b2.Socket.State);
        var status = await StatusAsync(http, call2.CallId);
        Assert.Equal(2, (int?)status["participants"]?["connected"]);
        await AssertRelayAsync(b2, a2);
    }
}
