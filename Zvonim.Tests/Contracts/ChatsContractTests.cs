using System.Net;
using System.Text.Json.Nodes;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Who may join which call of seed 001 (routes of ours under /api/v1): private chats made on first use (201, then 200),
/// groups an owner manages; integer ids; errors 400/401/403/404 as JSON.
/// </summary>
public sealed class ChatsContractTests
{
    private static async Task<JsonObject> BodyAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    private static string[] Names(JsonNode? members) => [.. members!.AsArray().Select(m => (string)m!["username"]!).Order()];

    [Fact]
    public async Task A_private_chat_is_made_on_first_use_and_found_after_by_either_side()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");

        var made = await BodyAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{boris.Id}}"}"""), HttpStatusCode.Created);
        Assert.Equal("private", (string?)made["type"]);
        Assert.True(made["id"]!.GetValueKind() == System.Text.Json.JsonValueKind.Number, made.ToJsonString());
        Assert.Equal(["anna", "boris"], Names(made["members"]));
        var found = await BodyAsync(await boris.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{anna.Id}}"}"""), HttpStatusCode.OK);
        Assert.Equal((long)made["id"]!, (long)found["id"]!);

        using var mine = await boris.SendAsync(HttpMethod.Get, "/api/v1/chats");
        var list = JsonNode.Parse(await mine.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal((long)made["id"]!, (long)Assert.Single(list)!["id"]!);

        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{anna.Id}}"}"""), HttpStatusCode.BadRequest, "invalid_request");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{Guid.NewGuid()}}"}"""), HttpStatusCode.NotFound, "user_not_found");
        await AssertErrorAsync(await http.GetAsync("/api/v1/chats"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task The_owner_manages_a_group_anyone_may_leave_and_outsiders_see_nothing()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var carol = await SignedInUser.RegisterAsync(server, http, "carol");
        var dmitri = await SignedInUser.RegisterAsync(server, http, "dmitri");

        var group = await BodyAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"Team","memberIds":["{{boris.Id}}"]}"""), HttpStatusCode.Created);
        var id = (long)group["id"]!;
        Assert.Equal(("group", "Team", anna.Id), ((string?)group["type"], (string?)group["name"], (string?)group["ownerId"]));
        Assert.Equal(["anna", "boris"], Names(group["members"]));

        await AssertErrorAsync(await boris.SendAsync(HttpMethod.Post, $"/api/v1/groups/{id}/members", $$"""{"userId":"{{carol.Id}}"}"""), HttpStatusCode.Forbidden, "forbidden");
        var grown = await BodyAsync(await anna.SendAsync(HttpMethod.Post, $"/api/v1/groups/{id}/members", $$"""{"userId":"{{carol.Id}}"}"""), HttpStatusCode.OK);
        Assert.Equal(["anna", "boris", "carol"], Names(grown["members"]));
        using (var carols = await carol.SendAsync(HttpMethod.Get, "/api/v1/groups"))
            Assert.Equal(id, (long)Assert.Single(JsonNode.Parse(await carols.Content.ReadAsStringAsync())!.AsArray())!["id"]!);

        await AssertErrorAsync(await dmitri.SendAsync(HttpMethod.Post, $"/api/v1/groups/{id}/members", $$"""{"userId":"{{dmitri.Id}}"}"""), HttpStatusCode.NotFound, "not_found");
        await AssertErrorAsync(await boris.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{id}/members/{carol.Id}"), HttpStatusCode.Forbidden, "forbidden");
        var left = await BodyAsync(await carol.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{id}/members/{carol.Id}"), HttpStatusCode.OK);
        Assert.Equal(["anna", "boris"], Names(left["members"]));
        await BodyAsync(await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{id}/members/{boris.Id}"), HttpStatusCode.OK);
        await AssertErrorAsync(await boris.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{id}"), HttpStatusCode.NotFound, "not_found");
        await BodyAsync(await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{id}"), HttpStatusCode.OK);
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{id}"), HttpStatusCode.NotFound, "not_found");

        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", """{"memberIds":[]}"""), HttpStatusCode.BadRequest, "invalid_request");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"X","memberIds":["{{Guid.NewGuid()}}"]}"""), HttpStatusCode.NotFound, "user_not_found");
        // Chats and groups count separately: the first of each may both be 1.
        var chat = await BodyAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/chats", $$"""{"userId":"{{dmitri.Id}}"}"""), HttpStatusCode.Created);
        Assert.Equal(1, (long)chat["id"]!);
        Assert.Equal(1, id);
    }

    [Fact]
    public async Task A_group_id_that_is_not_an_integer_is_404_like_an_unknown_group_saying_ids_are_integers()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var requests = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Post, "/api/v1/groups/abc/members", $$"""{"userId":"{{anna.Id}}"}"""),
            (HttpMethod.Delete, $"/api/v1/groups/abc/members/{anna.Id}", null),
            (HttpMethod.Delete, "/api/v1/groups/1.5", null),
            (HttpMethod.Delete, "/api/v1/groups/99999999999999999999", null), // past a 64-bit integer
        };
        foreach (var (method, path, body) in requests)
        {
            var error = await AssertErrorAsync(await anna.SendAsync(method, path, body), HttpStatusCode.NotFound, "not_found");
            Assert.Contains("ids are integers", (string?)error["message"]);
        }
    }
}
