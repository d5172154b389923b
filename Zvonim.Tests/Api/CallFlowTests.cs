using System.Net;
using System.Text.Json.Nodes;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>The seed's ideal call, A (creator) and B (joiner), driven by a client written from the seed text alone.</summary>
public sealed class CallFlowTests
{
    private static readonly HashSet<string?> SignalTypes = ["offer", "answer", "ice-candidate"];

    private static List<string> Signals(WsClient client) =>
        client.Received.Where(m => SignalTypes.Contains(m.Type)).Select(m => m.Raw).ToList();

    [Fact]
    public async Task A_whole_call_relays_every_signal_byte_for_byte_in_order_and_ends_when_B_leaves()
    {
        await using var server = Server();
        using var http = server.Client();

        // 1) A: POST /apiv2/calls → call_id, waiting, peer_id.
        using var createResponse = await http.PostAsync("/apiv2/calls", null);
        Assert.Equal(HttpStatusCode.OK, createResponse.StatusCode);
        var created = await createResponse.JsonAsync();
        var callId = (string)created["call_id"]!;
        var peerA = (string)created["peer_id"]!;
        Assert.Equal("waiting", (string?)created["status"]);
        Assert.Matches(NanoId(), callId);
        Assert.Matches(NanoId(), peerA);

        var status = await StatusAsync(http, callId);
        Assert.Equal(callId, (string?)status["call_id"]);
        Assert.Equal("waiting", (string?)status["status"]);
        Assert.Equal(1, (int?)status["participants"]?["count"]);

        // 2) A opens its socket and hears the state.
        await using var a = await ConnectAsync(server, callId, peerA, "A");
        var firstState = await a.ExpectStateAsync("waiting", count: 1);
        Assert.Equal(callId, (string?)firstState.Json["call_id"]);

        // 3) both fetch the ICE servers.
        using (var turn = await http.GetAsync("/api/turn-config"))
        {
            Assert.Equal(HttpStatusCode.OK, turn.StatusCode);
            Assert.IsType<JsonArray>((await turn.JsonAsync())["iceServers"]);
        }

        // 4) B joins over HTTP: the call becomes active, A hears it.
        using var joinResponse = await http.PostAsync($"/apiv2/calls/{callId}/join", null);
        Assert.Equal(HttpStatusCode.OK, joinResponse.StatusCode);
        var joined = await joinResponse.JsonAsync();
        Assert.Equal(callId, (string?)joined["call_id"]);
        var peerB = (string)joined["peer_id"]!;
        Assert.Matches(NanoId(), peerB);
        Assert.NotEqual(peerA, peerB);

        status = await StatusAsync(http, callId);
        Assert.Equal("active", (string?)status["status"]);
        Assert.Equal(2, (int?)status["participants"]?["count"]);
        await a.ExpectStateAsync("active", count: 2, connected: 1);

        // 5) B opens its socket: B sees an active call with A present; A gets join and the new state.
        await using var b = await ConnectAsync(server, callId, peerB, "B");
        await b.ExpectStateAsync("active", count: 2);
        await b.ExpectAsync("join");
        await a.ExpectAsync("join");
        await a.ExpectStateAsync("active", count: 2, connected: 2);

        // 6) offer A→B and answer B→A, exactly as sent (odd spacing, escapes and non-ASCII included).
        var offer = "{ \"type\" : \"offer\",\"sdp\":\"v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0\\r\\n\", \"meta\": {\"ü\": [1, 2.50, true, null, \"\\u00e9\"]} }";
        await a.SendTextAsync(offer);
        Assert.Equal(offer, (await b.ExpectAsync("offer")).Raw);

        var answer = "{\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 0.0.0.0\\r\\na=setup:active\\r\\n\",\"type\":\"answer\",\"n\":1e3}";
        await b.SendTextAsync(answer);
        Assert.Equal(answer, (await a.ExpectAsync("answer")).Raw);

        // 7) four ICE candidates each way, sent concurrently.
        string Candidate(string who, int i) =>
            $$$"""{"type":"ice-candidate","candidate":{"candidate":"candidate:{{{i}}} 1 udp {{{2122260223 - i}}} 192.0.2.{{{i}}} {{{50000 + i}}} typ host generation 0 ufrag {{{who}}}","sdpMid":"0","sdpMLineIndex":0}}""";
        var fromA = Enumerable.Range(0, 4).Select(i => Candidate("a", i)).ToList();
        var fromB = Enumerable.Range(0, 4).Select(i => Candidate("b", i)).ToList();
        await Task.WhenAll(
            Task.Run(async () => { foreach (var c in fromA) await a.SendTextAsync(c); }),
            Task.Run(async () => { foreach (var c in fromB) await b.SendTextAsync(c); }));

        var atB = new List<string>();
        while (atB.Count < 4) atB.Add((await b.ExpectAsync("ice-candidate")).Raw);
        var atA = new List<string>();
        while (atA.Count < 4) atA.Add((await a.ExpectAsync("ice-candidate")).Raw);
        Assert.Equal(fromA, atB);
        Assert.Equal(fromB, atA);

        // 8) nothing came back to its sender: after a round trip through each peer, each has exactly the other's frames.
        await a.SyncAsync();
        await b.SyncAsync();
        List<string> expectedAtA = [answer, .. fromB], expectedAtB = [offer, .. fromA];
        Assert.Equal(expectedAtA, Signals(a));
        Assert.Equal(expectedAtB, Signals(b));
        Assert.DoesNotContain(a.Received, m => m.Type == "error");
        Assert.DoesNotContain(b.Received, m => m.Type == "error");

        // 9) B leaves: A hears leave and the ended state, both sockets close, the call is ended.
        using var leave = await LeaveAsync(http, callId, peerB);
        Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        var left = await leave.JsonAsync();
        Assert.Equal(callId, (string?)left["call_id"]);
        Assert.Equal("ended", (string?)left["status"]);

        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("ended");
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, (await a.ClosedAsync()).Status);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, (await b.ClosedAsync()).Status);

        status = await StatusAsync(http, callId);
        Assert.Equal("ended", (string?)status["status"]);
    }

    [Fact]
    public async Task With_WhenPeerLeaves_Waiting_the_call_goes_back_to_waiting_and_takes_a_new_joiner()
    {
        await using var server = Server(("Zvonim:Calls:WhenPeerLeaves", "Waiting"));
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, b) = pair;

        using var leave = await LeaveAsync(http, call.CallId, peerB);
        Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        Assert.Equal("waiting", (string?)(await leave.JsonAsync())["status"]);

        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);
        await b.ClosedAsync();
        var status = await StatusAsync(http, call.CallId);
        Assert.Equal("waiting", (string?)status["status"]);
        Assert.Equal(1, (int?)status["participants"]?["count"]);

        // Someone else takes the free place; A's socket is still there and relays to the newcomer.
        var peerC = await JoinAsync(http, call.CallId);
        Assert.NotEqual(peerB, peerC);
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);
        await using var c = await ConnectAsync(server, call.CallId, peerC, "C");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, c);
        await AssertRelayAsync(c, a);
        Assert.False(a.IsClosed);
    }

    [Fact]
    public async Task A_leave_message_on_the_socket_ends_the_call_like_the_HTTP_leave()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, _, a, b) = pair;

        await b.SendTextAsync("""{"type":"leave"}""");
        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("ended");
        await b.ExpectStateAsync("ended");
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, (await b.ClosedAsync()).Status);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, (await a.ClosedAsync()).Status);
        await WaitForStatusAsync(http, call.CallId, "ended");
    }

    [Fact]
    public async Task Closing_a_socket_is_not_leaving_the_call()
    {
        await using var server = Server();
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, peerB, a, b) = pair;

        await b.DisposeAsync(); // a clean close handshake, e.g. a page reload
        await a.ExpectStateAsync("active", count: 2, connected: 1);
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);

        await using var again = await ConnectAsync(server, call.CallId, peerB, "B again");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, again);
    }

    [Fact]
    public async Task Ids_are_21_url_safe_characters_and_never_repeat()
    {
        await using var server = Server();
        using var http = server.Client();
        var ids = new List<string>();
        for (var i = 0; i < 150; i++)
        {
            var call = await CreateAsync(http);
            ids.Add(call.CallId);
            ids.Add(call.PeerId);
            ids.Add(await JoinAsync(http, call.CallId));
        }
        Assert.All(ids, id => Assert.Matches(NanoId(), id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // Randomness, roughly: every position takes many different characters, and the URL-safe extras turn up.
        for (var position = 0; position < 21; position++)
            Assert.True(ids.Select(id => id[position]).Distinct().Count() > 30, $"position {position} hardly varies");
        Assert.Contains(ids, id => id.Contains('-') || id.Contains('_'));
    }
}
