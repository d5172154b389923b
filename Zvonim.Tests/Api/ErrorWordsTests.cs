using System.Net;
using System.Net.Http.Headers;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>Errors speak each dialect's own words and never the server's insides; a person who types a wrong address
/// gets a page.</summary>
public sealed class ErrorWordsTests
{
    [Fact]
    public async Task A_group_room_refusal_speaks_of_rooms_and_users_not_calls_and_peers()
    {
        await using var server = Server();
        using var http = server.Client();
        var alice = await OkAsync(await http.PostAsync("/api/room/join", Json("""{"user_name":"Alice"}""")));
        var roomId = (string)alice["room_id"]!;
        var refused = await http.PostAsync("/api/room/leave", Json($$"""{"room_id":"{{roomId}}","user_id":"{{UnknownId}}","token":"x"}"""));
        var body = await refused.JsonAsync();
        var message = (string?)body["message"];
        Assert.True(refused.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{refused.StatusCode}: {message}");
        Assert.DoesNotContain("call", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("peer", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_body_of_the_wrong_shape_is_told_where_without_naming_the_servers_types()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        var body = await AssertErrorAsync(await http.PostAsync($"/apiv2/calls/{call.CallId}/leave", Json("""{"peer_id": 5}""")),
            HttpStatusCode.BadRequest, "invalid_json");
        var message = (string?)body["message"];
        Assert.Contains("$.peer_id", message);
        Assert.DoesNotContain("Zvonim", message);
        body = await AssertErrorAsync(await http.PostAsync($"/apiv2/calls/{call.CallId}/leave", Json("{\"peer_id\": ")), HttpStatusCode.BadRequest, "invalid_json");
        Assert.DoesNotContain("Zvonim", (string?)body["message"]);
    }

    [Fact]
    public async Task A_browser_at_a_wrong_address_gets_a_page_and_an_api_client_gets_json()
    {
        await using var server = Server();
        using var http = server.Client();
        using var page = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        page.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var answer = await http.SendAsync(page);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Equal("text/html", answer.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Start a call", await answer.Content.ReadAsStringAsync());

        await AssertErrorAsync(await http.GetAsync("/apiv2/nothing"), HttpStatusCode.NotFound, "not_found");
    }
}
