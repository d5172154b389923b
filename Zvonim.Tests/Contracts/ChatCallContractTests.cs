using System.Net;
using System.Text.Json.Nodes;
using Zvonim.Tests.Cluster;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Seed 001's call sockets (/api/v1/chat/{id}/call, /api/v1/group/{id}/call) before any media: refused before the
/// upgrade without a valid token (401), for an unknown chat or group (404) and for someone not in it (403); a
/// member's socket opens; frames for another room and unusable SDP get error frames, invalid JSON is ignored, and
/// removing someone from the group closes their socket.
/// </summary>
public sealed class ChatCallContractTests
{
    private static async Task<long> IdAsync(HttpResponseMessage response) => (long)(await response.JsonAsync())["id"]!;

    private static Task<WsClient> CallSocketAsync(ZvonimServer server, SignedInUser user, string path) =>
        WsClient.ConnectAsync(server.WebSocketUri(path), user.Name, o => o.SetRequestHeader("Authorization", $"Bearer {user.Token}"));

    [Fact]
    public async Task Sockets_are_refused_before_the_upgrade_without_a_token_for_unknown_rooms_and_for_outsiders()
    {
        await using var server = Server(("Zvonim:Sfu:Port", "0"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var carol = await SignedInUser.RegisterAsync(server, http, "carol");
        var chat = await IdAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{boris.Id}}"}"""));
        var group = await IdAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"Team","memberIds":["{{boris.Id}}"]}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"/api/v1/chat/{chat}/call")));
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"/api/v1/group/{group}/call?access_token=forged")));
        foreach (var path in new[] { $"/api/v1/chat/{chat + 100}/call", $"/api/v1/group/{group + 100}/call" })
            Assert.Equal(HttpStatusCode.NotFound, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"{path}?access_token={anna.Token}")));
        foreach (var path in new[] { $"/api/v1/chat/{chat}/call", $"/api/v1/group/{group}/call" })
            Assert.Equal(HttpStatusCode.Forbidden, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"{path}?access_token={carol.Token}")));

        await using var socket = await CallSocketAsync(server, boris, $"/api/v1/chat/{chat}/call");
        await socket.SendTextAsync($$"""{"type":"join","roomId":{{chat}},"sessionId":"s-1"}""");
        await socket.SendTextAsync("{not json at all"); // ignored, as the seed says
        await socket.SendTextAsync($$"""{"type":"join","roomId":{{chat + 1}},"sessionId":"s-1"}""");
        AssertErrorFrame(await socket.ReceiveAsync("error"), "invalid_message");
        await socket.SendTextAsync($$"""{"type":"offer","payload":{"type":"offer","sdp":"v=0 but not SDP"},"roomId":{{chat}},"sessionId":"s-1"}""");
        var refused = await socket.ReceiveAsync("error");
        AssertErrorFrame(refused, "invalid_message");
        Assert.Contains("SDP", (string?)refused["message"]);
        await socket.SendTextAsync($$"""{"type":"ice","payload":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMLineIndex":0,"sdpMid":"0"},"roomId":{{chat}},"sessionId":"s-1"}""");
        await socket.SendTextAsync($$"""{"type":"dance","roomId":{{chat}}}""");
        AssertErrorFrame(await socket.ReceiveAsync("error"), "unknown_type");
        Assert.False(socket.IsClosed);
    }

    [Fact]
    public async Task A_call_socket_for_an_id_that_is_not_an_integer_is_refused_404_saying_ids_are_integers()
    {
        await using var server = Server(("Zvonim:Sfu:Port", "0"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        foreach (var path in new[] { "/api/v1/chat/abc/call", "/api/v1/group/1e3/call" })
        {
            using var refused = await WsClient.HandshakeAsync(server.WebSocketUri($"{path}?access_token={anna.Token}"));
            var error = await AssertErrorAsync(refused, HttpStatusCode.NotFound, "not_found");
            Assert.Contains("ids are integers", (string?)error["message"]);
        }
    }

    [Fact]
    public async Task Text_with_an_unpaired_surrogate_escape_is_ignored_as_invalid_JSON_and_the_socket_goes_on()
    {
        await using var server = Server(("Zvonim:Sfu:Port", "0"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var chat = await IdAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{boris.Id}}"}"""));
        await using var socket = await CallSocketAsync(server, boris, $"/api/v1/chat/{chat}/call");

        // Every string the dialect reads, each holding half of a surrogate pair (the JSON escape, not the character).
        await socket.SendTextAsync("""{"type":"\udc00"}""");
        await socket.SendTextAsync("""{"type":"join","sessionId":"\ud800"}""");
        await socket.SendTextAsync("""{"type":"join","roomId":"\ud800","sessionId":"s-0"}""");
        await socket.SendTextAsync($$"""{"type":"offer","payload":{"type":"offer","sdp":"v=0\udfff"},"roomId":{{chat}},"sessionId":"s-0"}""");
        await socket.SendTextAsync($$"""{"type":"join","roomId":{{chat}},"sessionId":"s-1"}""");

        var answer = await ChatCallMediaClient.Over(socket, boris.Name, chat, "s-1").OfferAsync();
        Assert.Equal("s-1", (string?)answer["sessionId"]);
        Assert.DoesNotContain(socket.Received, m => m.Type == "error");
        Assert.False(socket.IsClosed);
    }

    [Fact]
    public async Task Removing_someone_from_the_group_closes_their_call_socket()
    {
        await using var server = Server(("Zvonim:Sfu:Port", "0"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var group = await IdAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"Team","memberIds":["{{boris.Id}}"]}"""));
        await using var borisCall = await CallSocketAsync(server, boris, $"/api/v1/group/{group}/call");
        await using var annaCall = await CallSocketAsync(server, anna, $"/api/v1/group/{group}/call");
        foreach (var (socket, session) in new[] { (borisCall, "b"), (annaCall, "a") })
            await socket.SendTextAsync($$"""{"type":"join","roomId":{{group}},"sessionId":"{{session}}"}""");
        // The joins are in once the room answers something: an offer it cannot take is answered with an error.
        await borisCall.SendTextAsync($$"""{"type":"offer","payload":{"type":"offer","sdp":"x"},"roomId":{{group}},"sessionId":"b"}""");
        await borisCall.ReceiveAsync("error");

        using (await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{group}/members/{boris.Id}")) { }
        AssertErrorFrame(await borisCall.ReceiveAsync("error"), "forbidden");
        await borisCall.AssertClosedAsync(4403);
        Assert.False(annaCall.IsClosed);
        Assert.Equal(HttpStatusCode.Forbidden, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"/api/v1/group/{group}/call?access_token={boris.Token}")));
    }

    [Fact]
    public async Task A_socket_opened_before_its_user_was_removed_cannot_join_afterwards()
    {
        await using var server = Server(("Zvonim:Sfu:Port", "0"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var carol = await SignedInUser.RegisterAsync(server, http, "carol");
        var team = await IdAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"Team","memberIds":["{{boris.Id}}"]}"""));
        var club = await IdAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"Club","memberIds":["{{carol.Id}}"]}"""));
        // Both open their sockets while members, and wait: no session yet for an eviction to reach.
        await using var borisCall = await CallSocketAsync(server, boris, $"/api/v1/group/{team}/call");
        await using var carolCall = await CallSocketAsync(server, carol, $"/api/v1/group/{club}/call");

        using (await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{team}/members/{boris.Id}")) { }
        using (await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{club}")) { }
        foreach (var (socket, room) in new[] { (borisCall, team), (carolCall, club) })
        {
            await socket.SendTextAsync($$"""{"type":"join","roomId":{{room}},"sessionId":"late"}""");
            await socket.SendTextAsync($$"""{"type":"offer","payload":{"type":"offer","sdp":"x"},"roomId":{{room}},"sessionId":"late"}""");
            AssertErrorFrame(await socket.ReceiveAsync("error"), "forbidden"); // not an answer, nor the room's SDP error
            await socket.AssertClosedAsync(4403);
        }

        // A member still in the group joins as before: the room answers the offer it cannot take.
        await using var annaCall = await CallSocketAsync(server, anna, $"/api/v1/group/{team}/call");
        await annaCall.SendTextAsync($$"""{"type":"join","roomId":{{team}},"sessionId":"a"}""");
        await annaCall.SendTextAsync($$"""{"type":"offer","payload":{"type":"offer","sdp":"x"},"roomId":{{team}},"sessionId":"a"}""");
        AssertErrorFrame(await annaCall.ReceiveAsync("error"), "invalid_message");
    }
}
