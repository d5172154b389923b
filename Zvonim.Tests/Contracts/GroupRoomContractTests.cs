using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Text.Json.Nodes;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;
using static Zvonim.Tests.Contracts.GroupRoomKit;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Seed 003, group rooms: POST /api/room/join {"room_id"?, "user_name"} → {"room_id","user_id","users_in_room"};
/// GET /api/room/{room_id}/info → {"room_id","users":[{"user_id","user_name","is_online"}],"created_at"};
/// WS /ws?room_id=&amp;user_id= with join, offer / answer / ice-candidate carrying from and to (a user id or "all"),
/// user-joined, user-left; POST /api/room/leave → {"success": true}. A mesh: anyone may address anyone in the room;
/// the server vouches for "from" and refuses a "to" outside the room; capacity 6 by default.
/// </summary>
public sealed class GroupRoomContractTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private ZvonimServer Server => shared.Server;

    /// <summary>This test's virtual clock, for a server of its own.</summary>
    private readonly FakeTimeProvider _time = new();

    // ---- REST: join, info, leave -------------------------------------------------------------------------------------

    [Fact]
    public async Task Join_without_a_room_id_creates_a_room_with_the_caller_in_it()
    {
        using var http = Server.Client();
        using var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["user_name"] = "Alice" }));
        var body = await OkAsync(response);

        // Seed 003's fields, and one more a seed-003 client may ignore: the proof that user_id is the caller's.
        AssertFields(body, "room_id", "user_id", "users_in_room", "token");
        Assert.True(((string?)body["token"])?.Length >= 40);
        Assert.False(string.IsNullOrEmpty((string?)body["room_id"]));
        Assert.False(string.IsNullOrEmpty((string?)body["user_id"]));
        Assert.Equal(new[] { (string)body["user_id"]! }, Ids(body["users_in_room"]));
    }

    [Fact]
    public async Task Join_with_a_room_id_adds_a_new_user_and_lists_every_user_id_in_join_order()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        var bob = await JoinRoomAsync(http, alice.RoomId, "Bob");

        using var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = alice.RoomId, ["user_name"] = "Carol" }));
        var body = await OkAsync(response);

        Assert.Equal(alice.RoomId, (string?)body["room_id"]);
        var carol = (string)body["user_id"]!;
        Assert.Equal(3, new[] { alice.UserId, bob.UserId, carol }.Distinct().Count());
        Assert.Equal(new[] { alice.UserId, bob.UserId, carol }, Ids(body["users_in_room"]));
    }

    [Fact]
    public async Task Info_lists_the_users_with_their_names_and_online_flags_and_when_the_room_was_created()
    {
        await using var server = HttpKit.Server(_time);
        using var http = server.Client();
        var created = _time.GetUtcNow();
        var alice = await NewRoomAsync(http, "  Alice  ");
        _time.Advance(TimeSpan.FromSeconds(5));
        var bob = await JoinRoomAsync(http, alice.RoomId, "Боб");

        var info = await InfoAsync(http, alice.RoomId);

        AssertFields(info, "room_id", "users", "created_at");
        Assert.Equal(alice.RoomId, (string?)info["room_id"]);
        Assert.Equal(created, Time(info["created_at"]));
        var users = info["users"]!.AsArray().Select(u => u!.AsObject()).ToArray();
        Assert.Equal(2, users.Length);
        foreach (var user in users) AssertFields(user, "user_id", "user_name", "is_online");
        Assert.Equal((alice.UserId, "Alice", false), ((string)users[0]["user_id"]!, (string)users[0]["user_name"]!, (bool)users[0]["is_online"]!));
        Assert.Equal((bob.UserId, "Боб", false), ((string)users[1]["user_id"]!, (string)users[1]["user_name"]!, (bool)users[1]["is_online"]!));
    }

    [Fact]
    public async Task Is_online_follows_the_socket_open_dropped_and_back()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        Assert.False(await IsOnlineAsync(http, alice));

        await using var socket = await ConnectAsync(Server, alice);
        await EventuallyAsync(() => IsOnlineAsync(http, alice), online => online, "Alice online");

        socket.Abort();
        await EventuallyAsync(() => IsOnlineAsync(http, alice), online => !online, "Alice offline after the drop");
        Assert.Single((await InfoAsync(http, alice.RoomId))["users"]!.AsArray()); // dropped, not gone (grace)

        await using var again = await ConnectAsync(Server, alice);
        await EventuallyAsync(() => IsOnlineAsync(http, alice), online => online, "Alice online again");
    }

    [Fact]
    public async Task Leave_answers_success_true_closes_the_leavers_socket_tells_the_others_user_left_and_frees_the_id()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob", "Carol");
        await using var _ = new Disposer(sockets);
        var (a, b, c) = (sockets[0], sockets[1], sockets[2]);

        using (var response = await LeaveAsync(http, members[2].RoomId, members[2].UserId))
        {
            var body = await OkAsync(response);
            AssertFields(body, "success");
            Assert.True((bool)body["success"]!);
        }

        await c.AssertClosedAsync(1000);
        AssertUserLeft(await a.ReceiveAsync("user-left"), members[2]);
        AssertUserLeft(await b.ReceiveAsync("user-left"), members[2]);
        var users = (await InfoAsync(http, members[0].RoomId))["users"]!.AsArray();
        Assert.Equal(new[] { members[0].UserId, members[1].UserId }, users.Select(u => (string)u!["user_id"]!));
        Assert.All(users, u => Assert.True((bool)u!["is_online"]!));

        // Carol is not in the room any more: not addressable, cannot come back with the old id, cannot leave twice.
        await a.SendTextAsync($$"""{"type":"offer","to":"{{members[2].UserId}}","sdp":"too late"}""");
        AssertErrorFrame(await a.ReceiveAsync("error"), "invalid_target");
        await using (var back = await WsClient.ConnectAsync(SocketUri(Server, members[2])))
            await AssertRefusedAsync(back, "unknown_peer", 4403);
        using (var response = await LeaveAsync(http, members[2].RoomId, members[2].UserId))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "unknown_peer");
    }

    [Fact]
    public async Task When_the_last_user_leaves_the_room_is_closed()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");

        using (var response = await LeaveAsync(http, alice.RoomId, alice.UserId))
            Assert.True((bool)(await OkAsync(response))["success"]!);

        using (var response = await http.GetAsync($"/api/room/{alice.RoomId}/info"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = alice.RoomId, ["user_name"] = "Bob" })))
            await AssertErrorAsync(response, HttpStatusCode.Gone, "call_ended");
    }

    // ---- The mesh ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Three_users_in_a_mesh_get_directed_and_broadcast_messages_only_where_addressed_with_from_set_in_order()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob", "Carol");
        await using var _ = new Disposer(sockets);
        var (a, b, c) = (sockets[0], sockets[1], sockets[2]);
        var (alice, bob, carol) = (members[0], members[1], members[2]);
        Assert.All((await InfoAsync(http, alice.RoomId))["users"]!.AsArray(), u => Assert.True((bool)u!["is_online"]!));

        // Alice offers to Bob and to Carol, then trickles candidates to "all".
        var offerToBob = $$"""{"type":"offer","to":"{{bob.UserId}}","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=alice-bob\r\n"}""";
        var offerToCarol = $$"""{"type":"offer","to":"{{carol.UserId}}","sdp":"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=alice-carol\r\n"}""";
        var candidates = Enumerable.Range(1, 3)
            .Select(i => $$"""{"type":"ice-candidate","to":"all","candidate":"candidate:{{i}} 1 udp 2122260223 192.168.1.2 5{{i}}000 typ host"}""")
            .ToArray();
        await a.SendTextAsync(offerToBob);
        await a.SendTextAsync(offerToCarol);
        foreach (var candidate in candidates) await a.SendTextAsync(candidate);

        Assert.Equal(WithFrom(offerToBob, alice), (await b.ReceiveAsync("offer")).Raw);
        foreach (var candidate in candidates) Assert.Equal(WithFrom(candidate, alice), (await b.ReceiveAsync("ice-candidate")).Raw);
        Assert.Equal(WithFrom(offerToCarol, alice), (await c.ReceiveAsync("offer")).Raw);
        foreach (var candidate in candidates) Assert.Equal(WithFrom(candidate, alice), (await c.ReceiveAsync("ice-candidate")).Raw);

        // Both answer Alice; she receives them (and nothing of her own).
        var answerFromBob = $$"""{"type":"answer","to":"{{alice.UserId}}","sdp":"bob's answer"}""";
        await b.SendTextAsync(answerFromBob);
        Assert.Equal(WithFrom(answerFromBob, bob), (await a.ReceiveAsync("answer")).Raw);
        var answerFromCarol = $$"""{"type":"answer","to":"{{alice.UserId}}","sdp":"carol's answer"}""";
        await c.SendTextAsync(answerFromCarol);
        Assert.Equal(WithFrom(answerFromCarol, carol), (await a.ReceiveAsync("answer")).Raw);

        // No "to" at all means everyone else as well.
        var bobsCandidate = """{"type":"ice-candidate","candidate":"candidate:9 1 udp 1 10.0.0.2 4000 typ srflx"}""";
        await b.SendTextAsync(bobsCandidate);
        Assert.Equal(WithFrom(bobsCandidate, bob), (await a.ReceiveAsync("ice-candidate")).Raw);
        Assert.Equal(WithFrom(bobsCandidate, bob), (await c.ReceiveAsync("ice-candidate")).Raw);

        // Carol ↔ Bob, the third link of the mesh: Alice sees none of it.
        var carolToBob = $$"""{"type":"offer","to":"{{bob.UserId}}","sdp":"carol-bob"}""";
        await c.SendTextAsync(carolToBob);
        Assert.Equal(WithFrom(carolToBob, carol), (await b.ReceiveAsync("offer")).Raw);
        var bobToCarol = $$"""{"type":"answer","to":"{{carol.UserId}}","sdp":"bob-carol"}""";
        await b.SendTextAsync(bobToCarol);
        Assert.Equal(WithFrom(bobToCarol, bob), (await c.ReceiveAsync("answer")).Raw);
        var carolToAll = """{"type":"ice-candidate","to":"all","candidate":"candidate:7 1 udp 5 10.0.0.3 4001 typ host"}""";
        await c.SendTextAsync(carolToAll);
        Assert.Equal(WithFrom(carolToAll, carol), (await a.ReceiveAsync()).Raw); // not Carol's offer to Bob
        Assert.Equal(WithFrom(carolToAll, carol), (await b.ReceiveAsync()).Raw);
        var bobToAll = """{"type":"ice-candidate","to":"all","candidate":"end"}""";
        await b.SendTextAsync(bobToAll);
        Assert.Equal(WithFrom(bobToAll, bob), (await a.ReceiveAsync()).Raw); // not Bob's answer to Carol
        Assert.Equal(WithFrom(bobToAll, bob), (await c.ReceiveAsync()).Raw);

        Assert.DoesNotContain(a.Received, f => (string?)f.Json["from"] == alice.UserId);
        Assert.DoesNotContain(b.Received, f => (string?)f.Json["from"] == bob.UserId);
        Assert.DoesNotContain(c.Received, f => (string?)f.Json["from"] == carol.UserId);
    }

    [Fact]
    public async Task User_joined_is_sent_when_a_socket_connects_and_a_newcomer_hears_of_everyone_already_online()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        var bob = await JoinRoomAsync(http, alice.RoomId, "Bob");
        await using var a = await ConnectAsync(Server, alice);
        await EventuallyAsync(() => IsOnlineAsync(http, alice), online => online, "Alice online");
        await using var b = await ConnectAsync(Server, bob);
        AssertUserJoined(await b.ReceiveAsync(), alice);
        AssertUserJoined(await a.ReceiveAsync(), bob);

        // Carol joins over REST: nothing is said until her socket opens.
        var carol = await JoinRoomAsync(http, alice.RoomId, "Carol");
        var ping = """{"type":"ice-candidate","to":"all","candidate":"ping"}""";
        await b.SendTextAsync(ping);
        Assert.Equal(WithFrom(ping, bob), (await a.ReceiveAsync()).Raw);

        await using var c = await ConnectAsync(Server, carol);
        AssertUserJoined(await a.ReceiveAsync(), carol);
        AssertUserJoined(await b.ReceiveAsync(), carol);
        AssertUserJoined(await c.ReceiveAsync(), alice);
        AssertUserJoined(await c.ReceiveAsync(), bob);
    }

    [Fact]
    public async Task The_seeds_join_message_is_accepted_without_an_error()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);

        await sockets[0].SendTextAsync($$"""{"type":"join","user_id":"{{members[0].UserId}}","user_name":"Alice"}""");
        await sockets[0].SendTextAsync("{");

        AssertErrorFrame(await sockets[0].ReceiveAsync(), "invalid_json"); // the first error is the "{"
        await AssertStillRelaysAsync(sockets[0], sockets[1], members[0]);
    }

    [Fact]
    public async Task From_is_written_in_by_the_server_and_the_rest_of_the_frame_is_byte_identical()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var frames = new[]
        {
            $$"""{"type":"offer","to":"{{members[1].UserId}}","sdp":"v=0\r\na=group:BUNDLE 0 1\r\n"}""",
            $$"""{ "sdp" : "odd spacing" ,"to":"{{members[1].UserId}}", "type":"answer" , "x":[1,{"y":null}] }""",
            """{"type":"ice-candidate","candidate":{"candidate":"candidate:1 1 udp 1 \u0031.2.3.4 9 typ host","sdpMid":"0"},"note":"été ✓"}""",
        };

        foreach (var frame in frames)
        {
            await sockets[0].SendTextAsync(frame);
            Assert.Equal(WithFrom(frame, members[0]), (await sockets[1].ReceiveAsync()).Raw);
        }
    }

    [Fact]
    public async Task A_frame_that_names_its_own_sender_as_from_is_relayed_unchanged()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);

        var frame = $$"""{"type":"offer","from":"{{members[0].UserId}}","to":"{{members[1].UserId}}","sdp":"honest"}""";
        await sockets[0].SendTextAsync(frame);

        Assert.Equal(frame, (await sockets[1].ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Frames_for_a_member_whose_socket_is_not_open_yet_are_delivered_when_it_connects()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        var bob = await JoinRoomAsync(http, alice.RoomId, "Bob");
        await using var a = await ConnectAsync(Server, alice);
        await EventuallyAsync(() => IsOnlineAsync(http, alice), online => online, "Alice online");

        var offer = $$"""{"type":"offer","to":"{{bob.UserId}}","sdp":"early"}""";
        await a.SendTextAsync(offer);
        await using var b = await ConnectAsync(Server, bob);

        AssertUserJoined(await b.ReceiveAsync(), alice);
        Assert.Equal(WithFrom(offer, alice), (await b.ReceiveAsync()).Raw);
    }

    // ---- Drops and the reconnect grace (virtual time) -----------------------------------------------------------------

    [Fact]
    public async Task A_drop_past_the_grace_setting_tells_the_others_user_left_and_removes_the_user()
    {
        var grace = TimeSpan.FromSeconds(12);
        await using var server = HttpKit.Server(_time, ("Zvonim:GroupRooms:ReconnectGrace", grace.ToString()));
        using var http = server.Client();
        var (members, sockets) = await MeshAsync(server, http, "Alice", "Bob", "Carol");
        await using var _ = new Disposer(sockets);
        var bob = members[1];

        sockets[1].Abort();
        await EventuallyAsync(() => IsOnlineAsync(http, bob), online => !online, "Bob offline");

        _time.Advance(grace - TimeSpan.FromSeconds(1));
        Assert.Equal(3, (await InfoAsync(http, bob.RoomId))["users"]!.AsArray().Count); // still holding Bob's place

        _time.Advance(TimeSpan.FromSeconds(1));
        AssertUserLeft(await sockets[0].ReceiveAsync(), bob); // the first thing Alice hears since the drop
        AssertUserLeft(await sockets[2].ReceiveAsync(), bob);
        var users = (await InfoAsync(http, bob.RoomId))["users"]!.AsArray();
        Assert.Equal(new[] { members[0].UserId, members[2].UserId }, users.Select(u => (string)u!["user_id"]!));
    }

    [Fact]
    public async Task A_reconnect_within_the_default_30s_grace_keeps_the_user_and_is_announced_as_user_joined()
    {
        await using var server = HttpKit.Server(_time);
        using var http = server.Client();
        var (members, sockets) = await MeshAsync(server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var (alice, bob) = (members[0], members[1]);

        sockets[1].Abort();
        await EventuallyAsync(() => IsOnlineAsync(http, bob), online => !online, "Bob offline");
        _time.Advance(TimeSpan.FromSeconds(29));

        await using var again = await ConnectAsync(server, bob);
        AssertUserJoined(await again.ReceiveAsync(), alice);
        AssertUserJoined(await sockets[0].ReceiveAsync(), bob);
        Assert.True(await IsOnlineAsync(http, bob));

        _time.Advance(TimeSpan.FromSeconds(30)); // the old deadline has passed and is stale
        await AssertStillRelaysAsync(again, sockets[0], bob); // Alice's next message is Bob's, not a user-left
        Assert.Equal(2, (await InfoAsync(http, alice.RoomId))["users"]!.AsArray().Count);
    }

    // ---- Refusals on the socket --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"type":"offer","from":"$A","sdp":"spoof"}""")]
    [InlineData("""{"type":"answer","from":"$A","to":"$A","sdp":"spoof"}""")]
    [InlineData("""{"type":"ice-candidate","from":"someone-else","to":"all","candidate":"spoof"}""")]
    [InlineData("""{"type":"offer","from":"","sdp":"spoof"}""")]
    [InlineData("""{"type":"offer","from":"all","sdp":"spoof"}""")]
    [InlineData("""{"type":"offer","from":null,"sdp":"spoof"}""")]
    [InlineData("""{"type":"offer","from":42,"sdp":"spoof"}""")]
    [InlineData("""{"type":"offer","from":{"user_id":"$B"},"sdp":"spoof"}""")]
    [InlineData("""{"type":"offer","\u0066rom":"$A","sdp":"spoof"}""")]
    [InlineData("""{"sdp":"spoof","to":"$A","from":"$A","type":"offer"}""")]
    public Task A_frame_claiming_another_sender_gets_invalid_sender_and_is_not_relayed(string template) =>
        AssertRefusedAndNotRelayedAsync("invalid_sender",
            members => template.Replace("$A", members[0].UserId).Replace("$B", members[1].UserId), sender: 1);

    [Fact]
    public async Task A_frame_with_two_from_keys_naming_someone_else_first_is_refused()
    {
        // Parsers disagree on duplicate keys (first wins in some, last in others): the server must not vouch for it.
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var (a, b) = (sockets[0], sockets[1]);

        await b.SendTextAsync($$"""{"type":"offer","from":"{{members[0].UserId}}","from":"{{members[1].UserId}}","sdp":"who sent this?"}""");
        await b.SendTextAsync("""{"type":"sentinel"}"""); // answered unknown_type, after any refusal of the frame above

        var reply = await b.ReceiveAsync();
        if (!(reply.Type == "error" && (string?)reply.Json["error"] is "invalid_sender" or "invalid_json"))
        {
            var atAlice = await a.ReceiveAsync();
            throw new Xunit.Sdk.XunitException(
                $"The frame was not refused (Bob's next message: {reply}); Alice received it as: {atAlice.Raw}");
        }
        AssertErrorFrame(await b.ReceiveAsync(), "unknown_type");
        await AssertStillRelaysAsync(b, a, members[1]);
    }

    [Theory]
    [InlineData("not-a-user-of-this-room")]
    [InlineData("$OTHER_ROOM_USER")]
    [InlineData("$SELF")]
    [InlineData("")]
    public async Task A_to_that_is_not_in_the_room_gets_invalid_target_and_reaches_nobody(string to)
    {
        using var http = Server.Client();
        var stranger = await NewRoomAsync(http, "Mallory");
        await AssertRefusedAndNotRelayedAsync("invalid_target", members =>
        {
            var target = to.Replace("$OTHER_ROOM_USER", stranger.UserId).Replace("$SELF", members[0].UserId);
            return $$"""{"type":"offer","to":"{{target}}","sdp":"lost"}""";
        });
    }

    [Theory]
    [MemberData(nameof(MalformedJson), MemberType = typeof(HttpKit))]
    [InlineData("""{"type":"offer","to":42,"sdp":"x"}""")]
    public Task Malformed_json_gets_an_invalid_json_error_and_the_socket_stays_open(string malformed) =>
        AssertRefusedAndNotRelayedAsync("invalid_json", _ => malformed);

    /// <summary>Valid JSON syntax, but its strings cannot become .NET strings: a malformed message like any other.</summary>
    [Theory]
    [InlineData("""{"type":"offer","to":"\ud800","sdp":"x"}""")]
    [InlineData("""{"type":"offer","from":"\udc00","sdp":"x"}""")]
    [InlineData("""{"type":"\ud800"}""")]
    [InlineData("""{"\ud800":1,"type":"offer","sdp":"x"}""")]
    public Task Json_with_an_unpaired_surrogate_escape_gets_invalid_json_and_the_socket_stays_open(string malformed) =>
        AssertRefusedAndNotRelayedAsync("invalid_json", _ => malformed);

    [Theory]
    [InlineData("""{"type":"candidate","candidate":"the link rooms' word"}""")]
    [InlineData("""{"type":"user-joined","user_id":"x","user_name":"forged"}""")]
    [InlineData("""{"type":"user-left","user_id":"x"}""")]
    [InlineData("""{"type":"bye"}""")]
    public Task An_unknown_or_server_only_message_type_gets_unknown_type_and_the_socket_stays_open(string frame) =>
        AssertRefusedAndNotRelayedAsync("unknown_type", _ => frame);

    [Fact]
    public async Task A_frame_of_exactly_the_64_KiB_limit_is_relayed_and_one_byte_more_closes_1009()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);

        var largest = FrameOfSize("offer", 65536, ",\"to\":\"" + members[1].UserId + "\"");
        await sockets[0].SendTextAsync(largest);
        Assert.Equal(WithFrom(largest, members[0]), (await sockets[1].ReceiveAsync()).Raw);

        await sockets[0].SendFragmentedAsync(FrameOfSize("offer", 65537), 4);
        await sockets[0].AssertClosedAsync(1009);
        await EventuallyAsync(() => IsOnlineAsync(http, members[0]), online => !online, "Alice offline");
    }

    [Fact]
    public async Task A_socket_for_a_user_id_not_in_the_room_gets_unknown_peer_and_close_4403()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        var elsewhere = await NewRoomAsync(http, "Mallory");

        await using (var socket = await WsClient.ConnectAsync(Server.WebSocketUri($"/ws?room_id={alice.RoomId}&user_id=made-up-user")))
            await AssertRefusedAsync(socket, "unknown_peer", 4403);
        await using (var socket = await WsClient.ConnectAsync(Server.WebSocketUri($"/ws?room_id={alice.RoomId}&user_id={elsewhere.UserId}")))
            await AssertRefusedAsync(socket, "unknown_peer", 4403);

        var info = await InfoAsync(http, alice.RoomId);
        Assert.Equal(new[] { alice.UserId }, info["users"]!.AsArray().Select(u => (string)u!["user_id"]!));
    }

    [Fact]
    public async Task A_socket_for_an_unknown_room_gets_not_found_and_close_4404()
    {
        await using var socket = await WsClient.ConnectAsync(Server.WebSocketUri("/ws?room_id=no-such-room-000&user_id=nobody"));
        await AssertRefusedAsync(socket, "not_found", 4404);
    }

    [Fact]
    public async Task A_socket_without_room_id_or_user_id_is_refused_with_400()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");

        Assert.Equal(HttpStatusCode.BadRequest, await WsClient.HandshakeRefusedAsync(Server.WebSocketUri($"/ws?room_id={alice.RoomId}")));
        Assert.Equal(HttpStatusCode.BadRequest, await WsClient.HandshakeRefusedAsync(Server.WebSocketUri($"/ws?user_id={alice.UserId}")));
        using (var response = await http.GetAsync("/ws"))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.GetAsync($"/ws?room_id={alice.RoomId}&user_id={alice.UserId}"))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "websocket_required");
    }

    // ---- Refusals over REST ------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_default_capacity_is_6_and_a_seventh_join_is_refused_409_call_full()
    {
        using var http = Server.Client();
        var first = await NewRoomAsync(http, "User 1");
        JsonObject sixth = new();
        for (var i = 2; i <= 6; i++)
        {
            using var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = first.RoomId, ["user_name"] = $"User {i}" }));
            sixth = await OkAsync(response);
        }
        Assert.Equal(6, sixth["users_in_room"]!.AsArray().Count);

        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = first.RoomId, ["user_name"] = "User 7" })))
            await AssertErrorAsync(response, HttpStatusCode.Conflict, "call_full");
        Assert.Equal(6, (await InfoAsync(http, first.RoomId))["users"]!.AsArray().Count);
    }

    [Fact]
    public async Task Concurrent_joins_never_overfill_the_room()
    {
        using var http = Server.Client();
        var first = await NewRoomAsync(http, "User 1");

        var statuses = await Task.WhenAll(Enumerable.Range(2, 9).Select(async i =>
        {
            using var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = first.RoomId, ["user_name"] = $"User {i}" }));
            if (response.StatusCode == HttpStatusCode.Conflict) await AssertErrorAsync(response, HttpStatusCode.Conflict, "call_full");
            return response.StatusCode;
        }));

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.Conflict));
        Assert.Equal(6, (await InfoAsync(http, first.RoomId))["users"]!.AsArray().Count);
    }

    [Fact]
    public async Task The_capacity_setting_is_honoured_and_a_leave_frees_a_place()
    {
        await using var server = HttpKit.Server(("Zvonim:GroupRooms:Capacity", "3"));
        using var http = server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        var bob = await JoinRoomAsync(http, alice.RoomId, "Bob");
        await JoinRoomAsync(http, alice.RoomId, "Carol");

        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = alice.RoomId, ["user_name"] = "Dave" })))
            await AssertErrorAsync(response, HttpStatusCode.Conflict, "call_full");

        using (var response = await LeaveAsync(http, alice.RoomId, bob.UserId))
            await OkAsync(response);
        await JoinRoomAsync(http, alice.RoomId, "Dave");
    }

    [Fact]
    public async Task Join_refusals_unknown_room_404_and_bad_bodies_400_or_415()
    {
        using var http = Server.Client();

        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = "no-such-room-000", ["user_name"] = "Alice" })))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject())))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["user_name"] = "   " })))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["user_name"] = new string('n', 65) })))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.PostAsync("/api/room/join", null))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.PostAsync("/api/room/join", Json("""{"user_name": "Alice",""")))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");
        using (var response = await http.PostAsync("/api/room/join", Json("""{"user_name": 42}""")))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");
        using (var response = await http.PostAsync("/api/room/join", new StringContent("""{"user_name":"Alice"}""", System.Text.Encoding.UTF8, "text/plain")))
            await AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["user_name"] = new string('n', 64) })))
            await OkAsync(response);
    }

    [Fact]
    public async Task Info_of_an_unknown_room_is_404_not_found()
    {
        using var http = Server.Client();
        using var response = await http.GetAsync("/api/room/no-such-room-000/info");
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Leave_refusals_unknown_room_404_unknown_user_404_and_bad_bodies_400()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");

        using (var response = await LeaveAsync(http, "no-such-room-000", alice.UserId))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await LeaveAsync(http, alice.RoomId, "made-up-user"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "unknown_peer");
        using (var response = await http.PostAsync("/api/room/leave", Json(new JsonObject { ["room_id"] = alice.RoomId })))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.PostAsync("/api/room/leave", Json(new JsonObject { ["user_id"] = alice.UserId })))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        using (var response = await http.PostAsync("/api/room/leave", Json("""{"room_id":""")))
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");

        Assert.Single((await InfoAsync(http, alice.RoomId))["users"]!.AsArray());
    }

    // ---- Ids of one API are not found through another ---------------------------------------------------------------

    [Fact]
    public async Task A_group_room_is_not_found_through_apiv2_and_an_apiv2_call_is_not_a_group_room()
    {
        using var http = Server.Client();
        var alice = await NewRoomAsync(http, "Alice");
        JsonObject call;
        using (var response = await http.PostAsync("/apiv2/calls", null))
            call = await OkAsync(response);
        var (callId, peerId) = ((string)call["call_id"]!, (string)call["peer_id"]!);

        using (var response = await http.GetAsync($"/apiv2/calls/{alice.RoomId}"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync($"/apiv2/calls/{alice.RoomId}/join", null))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        await using (var socket = await WsClient.ConnectAsync(Server.WebSocketUri($"/apiv2/ws?call_id={alice.RoomId}&peer_id={alice.UserId}")))
            await AssertRefusedAsync(socket, "not_found", 4404);

        using (var response = await http.GetAsync($"/api/room/{callId}/info"))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = callId, ["user_name"] = "Mallory" })))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        using (var response = await LeaveAsync(http, callId, peerId))
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        await using (var socket = await WsClient.ConnectAsync(Server.WebSocketUri($"/ws?room_id={callId}&user_id={peerId}")))
            await AssertRefusedAsync(socket, "not_found", 4404);

        Assert.Single((await InfoAsync(http, alice.RoomId))["users"]!.AsArray());
        using (var response = await http.GetAsync($"/apiv2/calls/{callId}"))
            Assert.Equal(1, (int)(await OkAsync(response))["participants"]!["count"]!);
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------------

    /// <summary>Alice and Bob in a room: what <paramref name="sender"/> (0 Alice, 1 Bob) sends is answered with an
    /// <paramref name="error"/> frame and reaches nobody: the other's next message is the sender's honest one.</summary>
    private async Task AssertRefusedAndNotRelayedAsync(string error, Func<Member[], string> frame, int sender = 0)
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);

        await sockets[sender].SendTextAsync(frame(members));

        AssertErrorFrame(await sockets[sender].ReceiveAsync(), error);
        await AssertStillRelaysAsync(sockets[sender], sockets[1 - sender], members[sender]);
    }

    /// <summary>An honest frame from <paramref name="from"/> to everyone is the very next thing <paramref name="to"/> gets.</summary>
    private static async Task AssertStillRelaysAsync(WsClient from, WsClient to, Member sender)
    {
        var frame = $$"""{"type":"ice-candidate","to":"all","candidate":"honest {{Guid.NewGuid():N}}"}""";
        await from.SendTextAsync(frame);
        var next = await to.ReceiveAsync();
        Assert.True(next.Raw == WithFrom(frame, sender), $"{to.Name} should get {sender.Name}'s honest frame next; got {next}");
    }
}
