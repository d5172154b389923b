using System.Net;
using System.Text;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>Every HTTP error path of apiv2: the right status and the body {"error": code, "message": text}.</summary>
public sealed class CallErrorTests
{
    [Fact]
    public async Task Unknown_call_is_404_not_found_for_status_join_and_leave()
    {
        await using var server = Server();
        using var http = server.Client();
        using (var get = await http.GetAsync($"/apiv2/calls/{UnknownId}"))
            await AssertErrorAsync(get, HttpStatusCode.NotFound, "not_found");
        await AssertJoinRefusedAsync(http, UnknownId, HttpStatusCode.NotFound, "not_found");
        using (var leave = await LeaveAsync(http, UnknownId, UnknownId))
            await AssertErrorAsync(leave, HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("x")]
    [InlineData("..")]
    [InlineData("%20")]
    [InlineData("%C3%A9%E2%82%AC")]
    [InlineData("a%2Fb")]
    [InlineData("%24system")]
    public async Task Odd_call_ids_are_404_not_found(string escapedId)
    {
        await using var server = Server();
        using var http = server.Client();
        using var get = await http.GetAsync($"/apiv2/calls/{escapedId}");
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "not_found");
        await AssertJoinRefusedAsync(http, escapedId, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_very_long_call_id_is_404_not_found()
    {
        await using var server = Server();
        using var http = server.Client();
        using var get = await http.GetAsync($"/apiv2/calls/{new string('a', 3000)}");
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_third_join_is_409_call_full_and_changes_nothing()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        await JoinAsync(http, call.CallId);
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Conflict, "call_full");
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Conflict, "call_full");
        var status = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)status["status"]);
        Assert.Equal(2, (int?)status["participants"]?["count"]);
    }

    [Fact]
    public async Task Of_many_concurrent_joins_exactly_one_gets_in_and_the_rest_get_409()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => http.PostAsync($"/apiv2/calls/{call.CallId}/join", null)));
        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
                await AssertErrorAsync(refused, HttpStatusCode.Conflict, "call_full");
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
        Assert.Equal(2, (int?)(await StatusAsync(http, call.CallId))["participants"]?["count"]);
    }

    [Fact]
    public async Task Join_on_an_ended_call_is_410_call_ended()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        using (var leave = await LeaveAsync(http, call.CallId, call.PeerId))
            Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        Assert.Equal("ended", (string?)(await StatusAsync(http, call.CallId))["status"]);
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Gone, "call_ended");
    }

    [Fact]
    public async Task Join_on_a_full_call_that_has_ended_is_410_call_ended()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        using (var leave = await LeaveAsync(http, call.CallId, peerB))
            Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Gone, "call_ended");
    }

    [Fact]
    public async Task Leave_with_a_peer_id_that_is_not_in_the_call_is_404_unknown_peer()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        using var leave = await LeaveAsync(http, call.CallId, UnknownId);
        await AssertErrorAsync(leave, HttpStatusCode.NotFound, "unknown_peer");
        Assert.Equal("waiting", (string?)(await StatusAsync(http, call.CallId))["status"]);
    }

    [Fact]
    public async Task Leaving_twice_is_404_unknown_peer_the_second_time()
    {
        await using var server = Server(("Zvonim:Calls:WhenPeerLeaves", "Waiting"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        using (var first = await LeaveAsync(http, call.CallId, peerB))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await LeaveAsync(http, call.CallId, peerB);
        await AssertErrorAsync(second, HttpStatusCode.NotFound, "unknown_peer");
    }

    [Fact]
    public async Task A_peer_id_of_one_call_cannot_leave_another()
    {
        await using var server = Server();
        using var http = server.Client();
        var one = await CreateAsync(http);
        var two = await CreateAsync(http);
        using var leave = await LeaveAsync(http, two.CallId, one.PeerId);
        await AssertErrorAsync(leave, HttpStatusCode.NotFound, "unknown_peer");
        Assert.Equal("waiting", (string?)(await StatusAsync(http, one.CallId))["status"]);
        Assert.Equal("waiting", (string?)(await StatusAsync(http, two.CallId))["status"]);
    }

    public static TheoryData<string?, string?, HttpStatusCode, string> BadLeaveBodies => new()
    {
        { null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "{}", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { """{"peer_id":""}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { """{"peer_id":null}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "null", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { """{"peer_id":""", "application/json", HttpStatusCode.BadRequest, "invalid_json" },
        { "not json", "application/json", HttpStatusCode.BadRequest, "invalid_json" },
        { "[1,2]", "application/json", HttpStatusCode.BadRequest, "invalid_json" },
        { """{"peer_id":42}""", "application/json", HttpStatusCode.BadRequest, "invalid_json" },
        { """{"peer_id":"x"} trailing""", "application/json", HttpStatusCode.BadRequest, "invalid_json" },
        { """{"peer_id":"x"}""", "text/plain", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type" },
        { "peer_id=x", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type" },
    };

    [Theory]
    [MemberData(nameof(BadLeaveBodies))]
    public async Task A_bad_leave_body_is_a_clear_4xx_and_leaves_the_call_alone(string? body, string? mediaType, HttpStatusCode status, string error)
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/apiv2/calls/{call.CallId}/leave");
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, mediaType!);
        using var response = await http.SendAsync(request);
        await AssertErrorAsync(response, status, error);
        Assert.Equal("waiting", (string?)(await StatusAsync(http, call.CallId))["status"]);
    }

    [Fact]
    public async Task Plain_GET_on_the_socket_endpoint_is_400_websocket_required()
    {
        await using var server = Server();
        using var http = server.Client();
        var call = await CreateAsync(http);
        using var response = await http.GetAsync($"/apiv2/ws?call_id={call.CallId}&peer_id={call.PeerId}");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "websocket_required");
    }

    [Theory]
    [InlineData("/apiv2/ws")]
    [InlineData("/apiv2/ws?call_id=abc")]
    [InlineData("/apiv2/ws?peer_id=abc")]
    [InlineData("/apiv2/ws?call_id=&peer_id=")]
    public async Task Socket_endpoint_without_call_id_and_peer_id_is_400_invalid_request(string path)
    {
        await using var server = Server();
        using var http = server.Client();
        using var response = await http.GetAsync(path);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        // A real WebSocket client gets the same refusal before any upgrade.
        Assert.Equal(HttpStatusCode.BadRequest, await WsClient.HandshakeRefusedAsync(server.WebSocketUri(path)));
    }

    [Theory]
    [InlineData("GET", "/apiv2/nothing-here")]
    [InlineData("GET", "/apiv2/calls/abc/def/ghi")]
    [InlineData("POST", "/apiv2")]
    [InlineData("GET", "/api/turn-config/extra")]
    public Task Unknown_route_is_404_not_found_in_JSON(string method, string path) =>
        AssertRequestRefusedAsync(method, path, HttpStatusCode.NotFound, "not_found");

    [Theory]
    [InlineData("GET", "/apiv2/calls")]
    [InlineData("DELETE", "/apiv2/calls/V1StGXR8_Z5jdHi6B-myT")]
    [InlineData("PUT", "/apiv2/calls/V1StGXR8_Z5jdHi6B-myT")]
    [InlineData("GET", "/apiv2/calls/V1StGXR8_Z5jdHi6B-myT/join")]
    [InlineData("GET", "/apiv2/calls/V1StGXR8_Z5jdHi6B-myT/leave")]
    [InlineData("POST", "/apiv2/ws")]
    [InlineData("POST", "/api/turn-config")]
    public Task Wrong_method_is_405_in_JSON(string method, string path) =>
        AssertRequestRefusedAsync(method, path, HttpStatusCode.MethodNotAllowed, "method_not_allowed");

    private static async Task AssertRequestRefusedAsync(string method, string path, HttpStatusCode status, string error)
    {
        await using var server = Server();
        using var http = server.Client();
        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertErrorAsync(response, status, error);
    }
}
