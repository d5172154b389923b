using System.Net;
using System.Text.Json.Nodes;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;
using static Zvonim.Tests.Web.SourceAddress;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Seed 003 lists every user_id (in /info and user-joined), so an id is no secret. Alice and Bob use a plain seed-003
/// client from their network (127.0.0.3) and never send a token; a stranger (127.0.0.2) with the room link reads
/// their ids. The stranger can neither take a socket, nor read frames meant for someone, nor make anyone leave.
/// </summary>
public sealed class GroupRoomTakeoverTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private ZvonimServer Server => shared.Server;

    private sealed record Member(string RoomId, string UserId, string Token);

    private static async Task<Member> JoinAsync(HttpClient http, string? roomId, string name)
    {
        var body = new JsonObject { ["user_name"] = name };
        if (roomId is not null) body["room_id"] = roomId;
        var json = await OkAsync(await http.PostAsync("/api/room/join", Json(body)));
        return new Member((string)json["room_id"]!, (string)json["user_id"]!, (string)json["token"]!);
    }

    private Uri Socket(Member member, string? token = null) => Server.WebSocketUri(
        $"/ws?room_id={member.RoomId}&user_id={member.UserId}{(token is null ? "" : $"&token={token}")}");

    private async Task<(HttpClient Home, Member Alice, Member Bob, WsClient A, WsClient B)> RoomAsync()
    {
        var home = Server.ClientFrom(Neighbour);
        var alice = await JoinAsync(home, null, "Alice");
        var bob = await JoinAsync(home, alice.RoomId, "Bob");
        var a = await WsClient.ConnectAsync(Socket(alice), "Alice", Neighbour);
        var b = await WsClient.ConnectAsync(Socket(bob), "Bob", Neighbour);
        await a.ExpectAsync("user-joined");
        await b.ExpectAsync("user-joined");
        return (home, alice, bob, a, b);
    }

    [Fact]
    public async Task A_listed_user_id_alone_does_not_take_an_online_users_socket()
    {
        var (home, alice, _, a, b) = await RoomAsync();
        using var __ = home;
        await using var sockets = new Disposer([a, b]);
        using var stranger = Server.ClientFrom(Attacker);
        var listed = (await OkAsync(await stranger.GetAsync($"/api/room/{alice.RoomId}/info")))["users"]!.AsArray();
        Assert.Contains(listed, u => (string?)u!["user_id"] == alice.UserId);

        await using var thief = await WsClient.ConnectAsync(Socket(alice), "thief", Attacker);
        await AssertRefusedAsync(thief, "forbidden", 4403);

        // Alice's socket is still hers: Bob's offer reaches her, and only her.
        await b.SendTextAsync($$"""{"type":"offer","to":"{{alice.UserId}}","sdp":"for Alice"}""");
        Assert.Contains("for Alice", (await a.ExpectAsync("offer")).Raw);
        Assert.False(a.IsClosed);
    }

    [Fact]
    public async Task Nor_can_it_read_frames_held_for_someone_who_has_not_connected_yet()
    {
        using var home = Server.ClientFrom(Neighbour);
        var alice = await JoinAsync(home, null, "Alice");
        var bob = await JoinAsync(home, alice.RoomId, "Bob");
        await using var a = await WsClient.ConnectAsync(Socket(alice), "Alice", Neighbour);
        await EventuallyAsync(async () => (await OkAsync(await home.GetAsync($"/api/room/{alice.RoomId}/info")))["users"]!.AsArray()
            .Any(u => (string?)u!["user_id"] == alice.UserId && (bool)u["is_online"]!), online => online, "Alice online");
        await a.SendTextAsync($$"""{"type":"offer","to":"{{bob.UserId}}","sdp":"held for Bob"}""");

        await using var thief = await WsClient.ConnectAsync(Socket(bob), "thief", Attacker);
        await AssertRefusedAsync(thief, "forbidden", 4403);
        Assert.DoesNotContain(thief.Received, m => m.Raw.Contains("held for Bob", StringComparison.Ordinal));

        await using var b = await WsClient.ConnectAsync(Socket(bob), "Bob", Neighbour);
        Assert.Contains("held for Bob", (await b.ExpectAsync("offer")).Raw);
    }

    [Fact]
    public async Task Nor_make_anyone_leave()
    {
        var (home, alice, bob, a, b) = await RoomAsync();
        using var __ = home;
        await using var sockets = new Disposer([a, b]);
        using var stranger = Server.ClientFrom(Attacker);
        var leave = Json(new JsonObject { ["room_id"] = bob.RoomId, ["user_id"] = bob.UserId });
        await AssertErrorAsync(await stranger.PostAsync("/api/room/leave", leave), HttpStatusCode.Forbidden, "forbidden");

        var users = (await OkAsync(await home.GetAsync($"/api/room/{alice.RoomId}/info")))["users"]!.AsArray();
        Assert.Contains(users, u => (string?)u!["user_id"] == bob.UserId && (bool)u["is_online"]!);
        // Bob himself, a plain client on his own network, still leaves as seed 003 says.
        await OkAsync(await home.PostAsync("/api/room/leave", Json(new JsonObject { ["room_id"] = bob.RoomId, ["user_id"] = bob.UserId })));
        Assert.Equal(bob.UserId, (string?)(await a.ExpectAsync("user-left"))["user_id"]);
    }

    [Fact]
    public async Task With_its_token_a_user_resumes_from_another_network_and_a_wrong_token_is_refused()
    {
        var (home, alice, _, a, b) = await RoomAsync();
        using var __ = home;
        await using var sockets = new Disposer([a, b]);
        var elsewhere = IPAddress.Parse("127.0.0.4");

        await using var wrong = await WsClient.ConnectAsync(Socket(alice, token: new string('x', 42)), "wrong", elsewhere);
        await AssertRefusedAsync(wrong, "forbidden", 4403);

        await using var moved = await WsClient.ConnectAsync(Socket(alice, token: alice.Token), "Alice on mobile", elsewhere);
        await a.AssertClosedAsync(4001); // her old socket is replaced, as after a reload
        await b.SendTextAsync($$"""{"type":"offer","to":"{{alice.UserId}}","sdp":"after the move"}""");
        Assert.Contains("after the move", (await moved.ExpectAsync("offer")).Raw);
    }
}
