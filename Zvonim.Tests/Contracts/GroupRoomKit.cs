using System.Text.Json.Nodes;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>Seed 003's moves for tests: join a room over REST, open a member's socket, a whole mesh at once.</summary>
public static class GroupRoomKit
{
    public sealed record Member(string RoomId, string UserId, string Name);

    public static string[] Ids(JsonNode? array) => array!.AsArray().Select(id => (string)id!).ToArray();

    public static async Task<Member> NewRoomAsync(HttpClient http, string name)
    {
        using var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["user_name"] = name }));
        var body = await OkAsync(response);
        return new Member((string)body["room_id"]!, (string)body["user_id"]!, name.Trim());
    }

    public static async Task<Member> JoinRoomAsync(HttpClient http, string roomId, string name)
    {
        using var response = await http.PostAsync("/api/room/join", Json(new JsonObject { ["room_id"] = roomId, ["user_name"] = name }));
        var body = await OkAsync(response);
        Assert.Equal(roomId, (string?)body["room_id"]);
        return new Member(roomId, (string)body["user_id"]!, name.Trim());
    }

    public static Task<HttpResponseMessage> LeaveAsync(HttpClient http, string roomId, string userId) =>
        http.PostAsync("/api/room/leave", Json(new JsonObject { ["room_id"] = roomId, ["user_id"] = userId }));

    public static async Task<JsonObject> InfoAsync(HttpClient http, string roomId)
    {
        using var response = await http.GetAsync($"/api/room/{roomId}/info");
        return await OkAsync(response);
    }

    public static async Task<bool> IsOnlineAsync(HttpClient http, Member member)
    {
        var users = (await InfoAsync(http, member.RoomId))["users"]!.AsArray();
        var user = users.FirstOrDefault(u => (string?)u!["user_id"] == member.UserId)
            ?? throw new Xunit.Sdk.XunitException($"{member.Name} is not in room {member.RoomId}: {users.ToJsonString()}");
        return (bool)user["is_online"]!;
    }

    public static Uri SocketUri(ZvonimServer server, Member member) =>
        server.WebSocketUri($"/ws?room_id={Uri.EscapeDataString(member.RoomId)}&user_id={Uri.EscapeDataString(member.UserId)}");

    public static async Task<WsClient> ConnectAsync(ZvonimServer server, Member member)
    {
        var socket = await WsClient.ConnectAsync(SocketUri(server, member), member.Name);
        socket.Id = member.UserId;
        return socket;
    }

    /// <summary>
    /// A room with these users, each joined over REST and connected in turn; every user-joined greeting has been read,
    /// so nothing is pending on any socket.
    /// </summary>
    public static async Task<(Member[] Members, WsClient[] Sockets)> MeshAsync(ZvonimServer server, HttpClient http, params string[] names)
    {
        var members = new List<Member> { await NewRoomAsync(http, names[0]) };
        foreach (var name in names.Skip(1)) members.Add(await JoinRoomAsync(http, members[0].RoomId, name));
        var sockets = new List<WsClient>();
        foreach (var member in members)
        {
            var socket = await ConnectAsync(server, member);
            if (sockets.Count == 0)
            {
                // A user alone hears nothing on connecting; wait until the room has seen the socket.
                await EventuallyAsync(() => IsOnlineAsync(http, member), online => online, $"{member.Name} online");
            }
            foreach (var earlier in sockets) AssertUserJoined(await earlier.ReceiveAsync(), member);
            foreach (var earlier in members.Take(sockets.Count)) AssertUserJoined(await socket.ReceiveAsync(), earlier);
            sockets.Add(socket);
        }
        return ([.. members], [.. sockets]);
    }

    /// <summary>What a relayed frame looks like: the server's "from" first, then the client's frame unchanged.</summary>
    public static string WithFrom(string frame, Member sender)
    {
        var open = frame.IndexOf('{', StringComparison.Ordinal);
        var rest = frame[(open + 1)..];
        var separator = rest.TrimStart().StartsWith('}') ? "" : ",";
        return $"{frame[..(open + 1)]}\"from\":\"{sender.UserId}\"{separator}{rest}";
    }

    public static void AssertUserJoined(WsMessage frame, Member member)
    {
        Assert.True(frame.Type == "user-joined", $"expected user-joined of {member.Name}, got {frame}");
        AssertFields(frame.Json, "type", "user_id", "user_name");
        Assert.Equal((member.UserId, member.Name), ((string?)frame.Json["user_id"], (string?)frame.Json["user_name"]));
    }

    public static void AssertUserLeft(WsMessage frame, Member member)
    {
        Assert.True(frame.Type == "user-left", $"expected user-left of {member.Name}, got {frame}");
        AssertFields(frame.Json, "type", "user_id");
        Assert.Equal(member.UserId, (string?)frame.Json["user_id"]);
    }
}
