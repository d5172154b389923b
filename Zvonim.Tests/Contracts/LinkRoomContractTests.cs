using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Seed 004, "rooms by link" (the Russian "Web Call" MVP): POST /api/rooms gives a link /r/&lt;token&gt; that lives
/// about 7 days; GET /api/rooms/{token} tells its status; WS /ws/rooms/{token} speaks join, offer, answer, candidate,
/// bye, two participants at most. Written from the seed's words; the details it leaves open (field names of the replies,
/// close codes) are the implementation's. Real Kestrel, real WebSockets; virtual time for the TTL and the grace.
/// </summary>
public sealed class LinkRoomContractTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string Hello = """{"type":"join"}""";
    private const string Bye = """{"type":"bye"}""";
    private static readonly TimeSpan DefaultTtl = TimeSpan.FromDays(7);
    private static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(30);

    private ZvonimServer Server => shared.Server;

    /// <summary>This test's virtual clock, for a server of its own.</summary>
    private readonly FakeTimeProvider _time = new();

    // ---- REST: creating a room and reading its status ---------------------------------------------------------

    [Fact]
    public async Task Creating_a_room_answers_a_token_its_absolute_link_on_the_request_base_and_an_expiry_7_days_out()
    {
        await using var server = HttpKit.Server(_time);
        using var http = server.Client();

        var room = await CreateRoomAsync(http);

        AssertFields(room, "token", "url", "expires_at");
        var token = (string)room["token"]!;
        Assert.Matches("^[A-Za-z0-9_-]{16,}$", token); // a link token: URL-safe and unguessable
        Assert.Equal($"http://{server.BaseAddress.Authority}/r/{token}", (string?)room["url"]);
        Assert.Equal(_time.GetUtcNow() + DefaultTtl, Time(room["expires_at"]));
        Assert.NotEqual(token, (string?)(await CreateRoomAsync(http))["token"]);
    }

    [Fact]
    public async Task The_link_uses_the_public_base_url_setting_and_the_expiry_the_ttl_setting()
    {
        await using var server = HttpKit.Server(_time,
            ("Zvonim:LinkRooms:PublicBaseUrl", "https://call.example.org/"),
            ("Zvonim:LinkRooms:Ttl", "01:30:00"));
        using var http = server.Client();

        var room = await CreateRoomAsync(http);

        Assert.Equal($"https://call.example.org/r/{room["token"]}", (string?)room["url"]);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(90), Time(room["expires_at"]));
    }

    [Fact]
    public async Task The_link_handed_out_opens_the_room_page_on_the_server_that_made_it()
    {
        // By default the link is on the request's own base, i.e. this server: following it must not be a dead end.
        using var http = Server.Client();
        var room = await CreateRoomAsync(http);

        using var response = await http.GetAsync((string)room["url"]!);

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"GET {room["url"]} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_status_of_a_new_room_is_waiting_with_nobody_and_the_same_expiry()
    {
        using var http = Server.Client();
        var room = await CreateRoomAsync(http);

        var status = await StatusAsync(http, (string)room["token"]!);

        AssertFields(status, "token", "state", "participants", "connected", "expires_at");
        Assert.Equal((string?)room["token"], (string?)status["token"]);
        Assert.Equal("waiting", (string?)status["state"]);
        Assert.Equal(0, (int)status["participants"]!);
        Assert.Equal(0, (int)status["connected"]!);
        Assert.Equal(Time(room["expires_at"]), Time(status["expires_at"]));
    }

    [Fact]
    public async Task The_status_of_an_unknown_room_is_404_not_found()
    {
        using var http = Server.Client();
        using var response = await http.GetAsync("/api/rooms/no-such-room-token-000");
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    // ---- The happy flow ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Two_sockets_join_exchange_offer_answer_and_candidates_byte_for_byte_and_bye_tells_the_other()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);

        // Opening the link's socket is joining: "joined" (your peer_id) then the room's state.
        await using var a = await OpenAsync(Server, token, "A", ("waiting", 1, 1));
        await AssertStatusAsync(http, token, "waiting", 1, 1);

        await using var b = await OpenAsync(Server, token, "B", ("active", 2, 2));
        Assert.NotEqual(a.Id, b.Id);

        // Whoever was there first is told "join": the cue to make the offer.
        Assert.Equal(Hello, (await a.ReceiveAsync("join")).Raw);
        AssertState(await a.ReceiveAsync("state"), "active", 2, 2);
        await b.SyncAsync();
        await AssertStatusAsync(http, token, "active", 2, 2);

        // offer / answer / candidate go to the other side exactly as sent, in order, never back to the sender.
        var offer = """{"type":"offer","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}""";
        var candidatesA = new[]
        {
            """{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}""",
            """{ "candidate" : {"candidate":"candidate:2 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active","sdpMid":"0"}, "type" : "candidate", "note":"\u00e9t\u00e9 ✓" }""",
            """{"type":"candidate","candidate":null}""",
        };
        await a.SendTextAsync(offer);
        foreach (var candidate in candidatesA) await a.SendTextAsync(candidate);
        Assert.Equal(offer, (await b.ReceiveAsync("offer")).Raw);
        foreach (var candidate in candidatesA) Assert.Equal(candidate, (await b.ReceiveAsync("candidate")).Raw);

        var answer = """{"type":"answer","sdp":"v=0\r\no=- 99 2 IN IP4 127.0.0.1\r\n","extra":{"kept":[1,2,3]}}""";
        var candidateB = """{"type":"candidate","candidate":{"candidate":"candidate:3 1 udp 1 10.0.0.9 3478 typ relay","sdpMLineIndex":0}}""";
        await b.SendTextAsync(answer);
        await b.SendTextAsync(candidateB);
        Assert.Equal(answer, (await a.ReceiveAsync("answer")).Raw); // not its own offer or candidates
        Assert.Equal(candidateB, (await a.ReceiveAsync("candidate")).Raw);

        // bye: the leaver's socket closes normally; the other is told "bye" and the room waits again.
        await b.SendTextAsync(Bye);
        await b.AssertClosedAsync(1000);
        Assert.Equal(Bye, (await a.ReceiveAsync("bye")).Raw);
        AssertState(await a.ReceiveAsync("state"), "waiting", 1, 1);
        await AssertStatusAsync(http, token, "waiting", 1, 1);

        // Nobody ever learns the other's peer_id: it is the key to resume a place.
        Assert.DoesNotContain(b.Received, f => f.Raw.Contains(a.Id, StringComparison.Ordinal));
        Assert.DoesNotContain(a.Received, f => f.Raw.Contains(b.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_the_participant_already_in_the_room_is_told_join_when_the_other_arrives()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);
        await using var a = await OpenAsync(Server, token, "A", ("waiting", 1, 1));
        await using var b = await OpenAsync(Server, token, "B", ("active", 2, 2));
        await a.ReceiveAsync("join");
        AssertState(await a.ReceiveAsync("state"), "active", 2, 2);

        // "join" means "someone arrived, make the offer": told to the newcomer as well, both sides would offer (glare).
        var offer = """{"type":"offer","sdp":"from A, the first one"}""";
        await a.SendTextAsync(offer);
        var next = await b.ReceiveAsync();
        Assert.True(next.Raw == offer, $"B (the newcomer) must get A's offer next, not a 'join' of its own; got {next}");
    }

    [Fact]
    public async Task A_join_message_is_answered_with_the_room_state()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);
        await using var a = await OpenAsync(Server, token, "A", ("waiting", 1, 1));

        await a.SendTextAsync(Hello);

        AssertState(await a.ReceiveAsync("state"), "waiting", 1, 1);
    }

    [Fact]
    public async Task A_reload_with_peer_id_resumes_in_the_same_slot_and_the_other_is_not_told_bye()
    {
        using var http = Server.Client();
        await using var room = await PairAsync(Server, http);
        var (token, a, b) = room;

        // The page reloads: the old socket goes, a new one comes back with the peer_id from "joined".
        await a.DisposeAsync();
        AssertState(await b.ReceiveAsync("state"), "active", 2, 1);

        await using var again = await OpenAsync(Server, token, "A again", ("active", 2, 2), a.Id);
        Assert.Equal(a.Id, again.Id);
        await b.ReceiveAsync("join");
        AssertState(await b.ReceiveAsync("state"), "active", 2, 2);
        await again.SyncAsync();

        var offer = """{"type":"offer","sdp":"renegotiate"}""";
        await b.SendTextAsync(offer);
        Assert.Equal(offer, (await again.ReceiveAsync("offer")).Raw);
        var answer = """{"type":"answer","sdp":"resumed"}""";
        await again.SendTextAsync(answer);
        Assert.Equal(answer, (await b.ReceiveAsync("answer")).Raw);

        await AssertStatusAsync(http, token, "active", 2, 2);
        Assert.DoesNotContain(b.Received, f => f.Type == "bye");
    }

    [Fact]
    public async Task A_second_socket_with_the_same_peer_id_replaces_the_first_which_closes_4001()
    {
        using var http = Server.Client();
        await using var room = await PairAsync(Server, http);
        var (token, a, b) = room;

        await using var newer = await OpenAsync(Server, token, "A newer", peerId: a.Id);

        Assert.Equal(a.Id, newer.Id);
        await a.AssertClosedAsync(4001);
        AssertState(await newer.ReceiveAsync("state"), "active", 2, 2);
        await newer.SyncAsync();
        var offer = """{"type":"offer","sdp":"to the newer socket"}""";
        await b.SendTextAsync(offer);
        Assert.Equal(offer, (await newer.ReceiveAsync("offer")).Raw);
        Assert.Equal(2, (int)(await StatusAsync(http, token))["participants"]!);
    }

    [Fact]
    public async Task An_unknown_peer_id_joins_under_a_fresh_id()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);

        await using var a = await OpenAsync(Server, token, "A", ("waiting", 1, 1), "made-up-peer-id-123456");

        Assert.NotEqual("made-up-peer-id-123456", a.Id);
        Assert.False(string.IsNullOrEmpty(a.Id));
    }

    [Fact]
    public async Task After_bye_the_link_still_works_until_it_expires()
    {
        using var http = Server.Client();
        await using var room = await PairAsync(Server, http);
        var (token, a, b) = room;

        await a.SendTextAsync(Bye);
        await a.AssertClosedAsync(1000);
        await b.ReceiveAsync("bye");
        await b.SendTextAsync(Bye);
        await b.AssertClosedAsync(1000);
        var status = await EventuallyAsync(() => StatusAsync(http, token), s => (int)s["participants"]! == 0, "an empty room");
        Assert.Equal("waiting", (string?)status["state"]);

        await using var c = await OpenAsync(Server, token, "C", ("waiting", 1, 1));
    }

    // ---- Drops, the reconnect grace and the TTL (virtual time) -----------------------------------------------------

    [Fact]
    public async Task A_drop_past_the_grace_setting_tells_the_other_bye_and_the_room_waits_again()
    {
        var grace = TimeSpan.FromSeconds(10);
        await using var server = HttpKit.Server(_time, ("Zvonim:LinkRooms:ReconnectGrace", grace.ToString()));
        using var http = server.Client();
        await using var room = await PairAsync(server, http);
        var (token, a, b) = room;

        a.Abort();
        AssertState(await b.ReceiveAsync("state"), "active", 2, 1); // A's place is held
        await AssertStatusAsync(http, token, "active", 2, 1);

        _time.Advance(grace - TimeSpan.FromSeconds(1));
        await b.SendTextAsync(Hello);
        AssertState(await b.ReceiveAsync("state"), "active", 2, 1); // still no bye

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Bye, (await b.ReceiveAsync("bye")).Raw);
        AssertState(await b.ReceiveAsync("state"), "waiting", 1, 1);
        await AssertStatusAsync(http, token, "waiting", 1, 1);
    }

    [Fact]
    public async Task A_drop_then_resume_within_the_default_30s_grace_keeps_the_slot_and_nobody_is_told_bye()
    {
        await using var server = HttpKit.Server(_time);
        using var http = server.Client();
        await using var room = await PairAsync(server, http);
        var (token, a, b) = room;

        a.Abort();
        AssertState(await b.ReceiveAsync("state"), "active", 2, 1);
        _time.Advance(DefaultGrace - TimeSpan.FromSeconds(1));

        await using var again = await OpenAsync(server, token, "A again", ("active", 2, 2), a.Id);
        Assert.Equal(a.Id, again.Id);
        await b.ReceiveAsync("join");
        AssertState(await b.ReceiveAsync("state"), "active", 2, 2);

        _time.Advance(DefaultGrace); // the old deadline is stale now
        await b.SendTextAsync(Hello);
        AssertState(await b.ReceiveAsync("state"), "active", 2, 2);
        Assert.DoesNotContain(b.Received, f => f.Type == "bye");
    }

    [Fact]
    public async Task A_slot_held_during_the_grace_refuses_a_third_socket_and_is_free_after_it()
    {
        await using var server = HttpKit.Server(_time);
        using var http = server.Client();
        await using var room = await PairAsync(server, http);
        var (token, a, b) = room;

        a.Abort();
        AssertState(await b.ReceiveAsync("state"), "active", 2, 1);

        await using (var early = await WsClient.ConnectAsync(SocketUri(server, token)))
            await AssertRefusedAsync(early, "call_full", 4409);

        _time.Advance(DefaultGrace);
        await b.ReceiveAsync("bye");
        AssertState(await b.ReceiveAsync("state"), "waiting", 1, 1);
        await using var c = await OpenAsync(server, token, "C", ("active", 2, 2));
    }

    [Fact]
    public async Task At_the_ttl_the_sockets_are_closed_and_the_room_is_404()
    {
        var ttl = TimeSpan.FromHours(1);
        await using var server = HttpKit.Server(_time, ("Zvonim:LinkRooms:Ttl", ttl.ToString()));
        using var http = server.Client();
        await using var room = await PairAsync(server, http);
        var (token, a, b) = room;

        _time.Advance(ttl - TimeSpan.FromSeconds(1));
        Assert.Equal("active", (string?)(await StatusAsync(http, token))["state"]);

        _time.Advance(TimeSpan.FromSeconds(1));
        foreach (var socket in new[] { a, b })
        {
            AssertState(await socket.ExpectAsync("state"), "ended", 2, 2);
            await socket.AssertClosedAsync(1000);
        }
        await using (var late = await WsClient.ConnectAsync(SocketUri(server, token)))
            await AssertRefusedAsync(late, "call_ended", 4410);
        using (var response = await http.GetAsync($"/api/rooms/{token}")) // also a barrier: the room has handled the above
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");

        // A minute on, the room is forgotten altogether.
        _time.Advance(TimeSpan.FromMinutes(1));
        await EventuallyAsync(async () =>
        {
            await using var probe = await WsClient.ConnectAsync(SocketUri(server, token));
            return (string?)(await probe.ReceiveAsync(Patience))["error"];
        }, error => error == "not_found", "the expired room forgotten");
        using (var response = await http.GetAsync($"/api/rooms/{token}"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_unused_link_expires_after_the_default_7_days()
    {
        await using var server = HttpKit.Server(_time);
        using var http = server.Client();
        var token = await CreateTokenAsync(http);

        _time.Advance(DefaultTtl - TimeSpan.FromMinutes(1));
        Assert.Equal("waiting", (string?)(await StatusAsync(http, token))["state"]);

        _time.Advance(TimeSpan.FromMinutes(1));
        await EventuallyAsync(async () =>
        {
            using var response = await http.GetAsync($"/api/rooms/{token}");
            return response.StatusCode;
        }, s => s == HttpStatusCode.NotFound, "404 after 7 days");
    }

    // ---- Refusals --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_third_socket_gets_a_call_full_error_and_close_4409_and_the_two_carry_on()
    {
        using var http = Server.Client();
        await using var room = await PairAsync(Server, http);
        var (token, a, b) = room;

        await using (var third = await WsClient.ConnectAsync(SocketUri(Server, token)))
            await AssertRefusedAsync(third, "call_full", 4409);

        var offer = """{"type":"offer","sdp":"still two of us"}""";
        await a.SendTextAsync(offer);
        Assert.Equal(offer, (await b.ReceiveAsync()).Raw); // nothing about the third reached B
        await b.SendTextAsync(Hello);
        AssertState(await b.ReceiveAsync("state"), "active", 2, 2);
        Assert.Equal(2, (int)(await StatusAsync(http, token))["participants"]!);
    }

    [Fact]
    public async Task Of_three_sockets_opened_at_once_exactly_two_join_and_one_is_refused_call_full()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);
        var uri = SocketUri(Server, token);

        var sockets = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => WsClient.ConnectAsync(uri, $"S{i}")));
        await using var _ = new Disposer(sockets);
        var first = await Task.WhenAll(sockets.Select(s => s.ReceiveAsync()));

        Assert.Equal(2, first.Count(f => f.Type == "joined"));
        var refused = Assert.Single(sockets, s => s.Received[0].Type == "error");
        AssertErrorFrame(refused.Received[0], "call_full");
        await refused.AssertClosedAsync(4409);
        await AssertStatusAsync(http, token, "active", 2, 2);
    }

    [Fact]
    public async Task A_socket_to_an_unknown_room_gets_not_found_and_close_4404()
    {
        await using var socket = await WsClient.ConnectAsync(Server.WebSocketUri("/ws/rooms/no-such-room-token-000"));
        await AssertRefusedAsync(socket, "not_found", 4404);
    }

    [Fact]
    public async Task A_plain_http_request_to_the_socket_endpoint_is_400_websocket_required()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);
        using var response = await http.GetAsync($"/ws/rooms/{token}");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "websocket_required");
    }

    [Theory]
    [MemberData(nameof(MalformedJson), MemberType = typeof(HttpKit))]
    public Task Malformed_json_gets_an_invalid_json_error_and_the_socket_stays_open(string malformed) =>
        AssertErrorAndStillRelaysAsync(a => a.SendTextAsync(malformed), "invalid_json");

    /// <summary>Valid JSON syntax, but its strings cannot become .NET strings: a malformed message like any other.</summary>
    [Theory]
    [InlineData("""{"type":"offer","sdp":"x","to":"\ud800"}""")]
    [InlineData("""{"type":"\ud800"}""")]
    [InlineData("""{"\ud800":1,"type":"candidate"}""")]
    public Task Json_with_an_unpaired_surrogate_escape_gets_invalid_json_and_the_socket_stays_open(string malformed) =>
        AssertErrorAndStillRelaysAsync(a => a.SendTextAsync(malformed), "invalid_json");

    [Theory]
    [InlineData("""{"type":"hello"}""")]
    [InlineData("""{"type":"ice-candidate","candidate":"group rooms' word, not this API's"}""")]
    [InlineData("""{"type":"OFFER","sdp":"x"}""")]
    public Task An_unknown_message_type_gets_an_unknown_type_error_and_the_socket_stays_open(string frame) =>
        AssertErrorAndStillRelaysAsync(a => a.SendTextAsync(frame), "unknown_type");

    [Fact]
    public Task A_binary_message_gets_an_invalid_message_error_and_the_socket_stays_open() =>
        AssertErrorAndStillRelaysAsync(
            a => a.SendBytesAsync(Encoding.UTF8.GetBytes("""{"type":"offer","sdp":"x"}"""), WebSocketMessageType.Binary), "invalid_message");

    [Fact]
    public async Task A_frame_of_exactly_the_default_64_KiB_limit_is_relayed_and_one_byte_more_closes_1009()
    {
        using var http = Server.Client();
        await using var room = await PairAsync(Server, http);
        var (_, a, b) = room;

        var largest = FrameOfSize("offer", 65536);
        await a.SendTextAsync(largest);
        Assert.Equal(largest, (await b.ReceiveAsync("offer")).Raw);

        await a.SendTextAsync(FrameOfSize("offer", 65537));
        await a.AssertClosedAsync(1009);
        AssertState(await b.ReceiveAsync("state"), "active", 2, 1); // a drop, not a bye
    }

    [Fact]
    public async Task An_oversize_message_sent_in_fragments_also_closes_1009_under_the_max_message_bytes_setting()
    {
        await using var server = HttpKit.Server(("Zvonim:Signaling:MaxMessageBytes", "2048"));
        using var http = server.Client();
        await using var room = await PairAsync(server, http);
        var (_, a, b) = room;

        var largest = FrameOfSize("candidate", 2048);
        await a.SendFragmentedAsync(largest, 3);
        Assert.Equal(largest, (await b.ReceiveAsync("candidate")).Raw);

        await b.SendFragmentedAsync(FrameOfSize("answer", 3000), 3);
        await b.AssertClosedAsync(1009);
        AssertState(await a.ReceiveAsync("state"), "active", 2, 1);
    }

    // ---- Ids of one API are not found through another ---------------------------------------------------------------

    [Fact]
    public async Task A_link_token_is_not_found_through_the_group_room_and_apiv2_endpoints()
    {
        using var http = Server.Client();
        var token = await CreateTokenAsync(http);
        await using var a = await OpenAsync(Server, token, "A", ("waiting", 1, 1));

        using (var response = await http.GetAsync($"/api/room/{token}/info"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = token, ["user_name"] = "Mallory" })))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync("/api/room/leave", Json(new JsonObject { ["room_id"] = token, ["user_id"] = a.Id })))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        await using (var socket = await WsClient.ConnectAsync(Server.WebSocketUri($"/ws?room_id={token}&user_id={a.Id}")))
            await AssertRefusedAsync(socket, "not_found", 4404);
        using (var response = await http.GetAsync($"/apiv2/calls/{token}"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync($"/apiv2/calls/{token}/join", null))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");

        // None of that touched the room.
        await AssertStatusAsync(http, token, "waiting", 1, 1);
    }

    [Fact]
    public async Task A_group_room_id_or_an_apiv2_call_id_is_not_a_link_token()
    {
        using var http = Server.Client();
        JsonObject group;
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["user_name"] = "Alice" })))
            group = await OkAsync(response);
        JsonObject call;
        using (var response = await http.PostAsync("/apiv2/calls", null))
            call = await OkAsync(response);

        foreach (var id in new[] { (string)group["room_id"]!, (string)call["call_id"]! })
        {
            using (var response = await http.GetAsync($"/api/rooms/{id}"))
                await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
            // The link door joins whoever opens it, so it must not open onto another API's room.
            await using var socket = await WsClient.ConnectAsync(Server.WebSocketUri($"/ws/rooms/{id}"));
            await AssertRefusedAsync(socket, "not_found", 4404);
        }

        JsonObject info;
        using (var response = await http.GetAsync($"/api/room/{group["room_id"]}/info"))
            info = await OkAsync(response);
        Assert.Single(info["users"]!.AsArray());
        using (var response = await http.GetAsync($"/apiv2/calls/{call["call_id"]}"))
            Assert.Equal(1, (int)(await OkAsync(response))["participants"]!["count"]!);
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------------

    private static async Task<JsonObject> CreateRoomAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/api/rooms", null);
        return await OkAsync(response);
    }

    private static async Task<string> CreateTokenAsync(HttpClient http) => (string)(await CreateRoomAsync(http))["token"]!;

    private static async Task<JsonObject> StatusAsync(HttpClient http, string token)
    {
        using var response = await http.GetAsync($"/api/rooms/{token}");
        return await OkAsync(response);
    }

    private static Uri SocketUri(ZvonimServer server, string token, string query = "") =>
        server.WebSocketUri($"/ws/rooms/{Uri.EscapeDataString(token)}{query}");

    /// <summary>Opens the room's socket and checks the first frame, {"type":"joined","peer_id","token"}, and then (when
    /// given) the <paramref name="state"/> that follows it.</summary>
    private static async Task<WsClient> OpenAsync(ZvonimServer server, string token, string name,
        (string State, int Participants, int Connected)? state = null, string? peerId = null)
    {
        var query = peerId is null ? "" : $"?peer_id={Uri.EscapeDataString(peerId)}";
        var socket = await WsClient.ConnectAsync(SocketUri(server, token, query), name);
        var joined = await socket.ReceiveAsync("joined");
        AssertFields(joined.Json, "type", "peer_id", "token");
        Assert.Equal(token, (string?)joined.Json["token"]);
        socket.Id = (string?)joined.Json["peer_id"] ?? "";
        Assert.False(string.IsNullOrEmpty(socket.Id), $"joined without a peer_id: {joined}");
        if (state is var (expected, participants, connected))
            AssertState(await socket.ReceiveAsync("state"), expected, participants, connected);
        return socket;
    }

    /// <summary>The room's status over REST: its state, participants and connected count.</summary>
    private static async Task AssertStatusAsync(HttpClient http, string token, string state, int participants, int connected)
    {
        var status = await StatusAsync(http, token);
        Assert.Equal((state, participants, connected), ((string?)status["state"], (int)status["participants"]!, (int)status["connected"]!));
    }

    private static void AssertState(WsMessage frame, string state, int participants, int connected)
    {
        Assert.True(frame.Type == "state", $"expected a state frame, got {frame}");
        AssertFields(frame.Json, "type", "state", "participants", "connected");
        Assert.True((string?)frame.Json["state"] == state && (int)frame.Json["participants"]! == participants
            && (int)frame.Json["connected"]! == connected,
            $"expected state {state} with {participants} participants, {connected} connected; got {frame}");
    }

    /// <summary>A new room with A and B in it, past the greetings, nothing pending on either side.</summary>
    private static async Task<Room> PairAsync(ZvonimServer server, HttpClient http)
    {
        var token = await CreateTokenAsync(http);
        var a = await OpenAsync(server, token, "A", ("waiting", 1, 1));
        var b = await OpenAsync(server, token, "B", ("active", 2, 2));
        await a.ReceiveAsync("join");
        AssertState(await a.ReceiveAsync("state"), "active", 2, 2);
        await b.SyncAsync();
        return new Room(token, a, b);
    }

    /// <summary>A room's token and its two sockets, which disposing it closes.</summary>
    private sealed record Room(string Token, WsClient A, WsClient B) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }

    /// <summary>A and B in a room: what A sends is answered with an <paramref name="error"/> frame, the socket stays
    /// open and A's next offer is the next thing B gets.</summary>
    private async Task AssertErrorAndStillRelaysAsync(Func<WsClient, Task> send, string error)
    {
        using var http = Server.Client();
        await using var room = await PairAsync(Server, http);
        await send(room.A);
        AssertErrorFrame(await room.A.ReceiveAsync("error"), error);
        await AssertStillRelaysAsync(room.A, room.B);
    }

    private static async Task AssertStillRelaysAsync(WsClient from, WsClient to)
    {
        var offer = $$"""{"type":"offer","sdp":"after the refusal {{Guid.NewGuid():N}}"}""";
        await from.SendTextAsync(offer);
        var next = await to.ReceiveAsync();
        Assert.True(next.Raw == offer, $"{to.Name} should get the offer next; got {next}");
    }
}
