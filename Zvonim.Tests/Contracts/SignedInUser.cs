using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>A registered, signed-in user of seed 002, as a client program drives one: REST with the Bearer token,
/// and sockets on /api/v1/ws (each one a device).</summary>
public sealed class SignedInUser(HttpClient http, Func<string, Uri> webSocketUri, string id, string name, string token)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public string Token { get; } = token;

    public HttpClient Http { get; } = http;

    public static async Task<SignedInUser> RegisterAsync(HttpClient http, Func<string, Uri> webSocketUri, string name)
    {
        var body = Json($$"""{"username":"{{name}}","password":"correct horse"}""");
        using var registered = await http.PostAsync("/api/v1/auth/register", body);
        var id = (string)(await OkAsync(registered))["id"]!;
        using var login = await http.PostAsync("/api/v1/auth/login", Json($$"""{"username":"{{name}}","password":"correct horse"}"""));
        return new SignedInUser(http, webSocketUri, id, name, (string)(await OkAsync(login))["accessToken"]!);
    }

    /// <summary>The same user with a fresh token (the old one expired).</summary>
    public async Task<SignedInUser> LogInAgainAsync()
    {
        using var login = await Http.PostAsync("/api/v1/auth/login", Json($$"""{"username":"{{Name}}","password":"correct horse"}"""));
        return new SignedInUser(Http, webSocketUri, Id, Name, (string)(await OkAsync(login))["accessToken"]!);
    }

    public static Task<SignedInUser> RegisterAsync(ZvonimServer server, HttpClient http, string name) =>
        RegisterAsync(http, server.WebSocketUri, name);

    /// <summary>A device: a socket with the token in the Authorization header, registered once it says <c>ready</c>.</summary>
    public async Task<WsClient> DeviceAsync(string? label = null, Uri? via = null)
    {
        var socket = await WsClient.ConnectAsync(via ?? webSocketUri("/api/v1/ws"), label ?? Name,
            options => options.SetRequestHeader("Authorization", $"Bearer {Token}"));
        var ready = await socket.ReceiveAsync("ready");
        Assert.Equal(Id, (string?)ready["userId"]);
        return socket;
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        if (json is not null) request.Content = Json(json);
        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null) =>
        await Http.SendAsync(Request(method, path, json));

    /// <summary>Makes a group of this user and <paramref name="member"/>; returns its id (201).</summary>
    public async Task<long> CreateGroupAsync(string name, SignedInUser member)
    {
        using var created = await SendAsync(HttpMethod.Post, "/api/v1/groups", $$"""{"name":"{{name}}","memberIds":["{{member.Id}}"]}""");
        Xunit.Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        return (long)(await created.JsonAsync())["id"]!;
    }

    /// <summary>Places a call; returns its id (201 {callId, status: "created"}).</summary>
    public async Task<string> CallAsync(SignedInUser callee)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{callee.Id}}"}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("created", (string?)body["status"]);
        return (string)body["callId"]!;
    }

    public async Task<JsonObject> GetCallAsync(string callId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/v1/calls/{callId}");
        return await OkAsync(response);
    }

    public async Task<JsonObject> EndCallAsync(string callId)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/v1/calls/{callId}/end");
        return await OkAsync(response);
    }
}
