using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

public sealed record Created(string CallId, string PeerId);

/// <summary>A call with both participants connected and past the greetings: A (creator) and B (joiner). Disposing it
/// closes both sockets.</summary>
public sealed record Pair(Created Call, string PeerB, WsClient A, WsClient B) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

/// <summary>apiv2 as a client sees it (the calls over HTTP, the socket's state messages), with the assertions its tests
/// share; what every dialect shares is in <see cref="HttpKit"/>.</summary>
public static partial class ApiKit
{
    public const string UnknownId = "V1StGXR8_Z5jdHi6B-myT"; // a well-formed nanoid nobody created

    [GeneratedRegex("^[A-Za-z0-9_-]{21}$")]
    public static partial Regex NanoId();

    public static Uri SocketUri(ZvonimServer server, string callId, string peerId) =>
        server.WebSocketUri($"/apiv2/ws?call_id={Uri.EscapeDataString(callId)}&peer_id={Uri.EscapeDataString(peerId)}");

    /// <summary>Opens the call's socket as <paramref name="peerId"/>.</summary>
    public static Task<WsClient> ConnectAsync(ZvonimServer server, string callId, string peerId, string name = "client") =>
        WsClient.ConnectAsync(SocketUri(server, callId, peerId), name);

    public static async Task<Created> CreateAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/apiv2/calls", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("waiting", (string?)body["status"]);
        return new Created((string)body["call_id"]!, (string)body["peer_id"]!);
    }

    public static async Task<string> JoinAsync(HttpClient http, string callId)
    {
        using var response = await http.PostAsync($"/apiv2/calls/{callId}/join", null);
        var body = await OkAsync(response);
        Assert.Equal(callId, (string?)body["call_id"]);
        return (string)body["peer_id"]!;
    }

    /// <summary>Asserts that joining the call is refused with <paramref name="status"/> and <paramref name="error"/>.</summary>
    public static async Task AssertJoinRefusedAsync(HttpClient http, string callId, HttpStatusCode status, string error)
    {
        using var response = await http.PostAsync($"/apiv2/calls/{callId}/join", null);
        await AssertErrorAsync(response, status, error);
    }

    public static Task<HttpResponseMessage> LeaveAsync(HttpClient http, string callId, string peerId) =>
        http.PostAsJsonAsync($"/apiv2/calls/{callId}/leave", new Dictionary<string, string> { ["peer_id"] = peerId });

    public static async Task<JsonObject> StatusAsync(HttpClient http, string callId)
    {
        using var response = await http.GetAsync($"/apiv2/calls/{callId}");
        return await OkAsync(response);
    }

    /// <summary>Polls the call's status (the server works asynchronously) until it is <paramref name="status"/>.</summary>
    public static Task<JsonObject> WaitForStatusAsync(HttpClient http, string callId, string status, int? count = null) =>
        EventuallyAsync(() => StatusAsync(http, callId),
            s => (string?)s["status"] == status && (count is null || (int?)s["participants"]?["count"] == count),
            $"call {callId} {status} (count {count})");

    /// <summary>Polls the call's status until the server has registered <paramref name="connected"/> open sockets.</summary>
    public static Task<JsonObject> WaitForConnectedAsync(HttpClient http, string callId, int connected) =>
        EventuallyAsync(() => StatusAsync(http, callId), s => (int?)s["participants"]?["connected"] == connected,
            $"call {callId} with {connected} connected");

    /// <summary>Skips to a <c>state</c> message with the given status and/or participant counts.</summary>
    public static Task<WsMessage> ExpectStateAsync(this WsClient client, string? status = null, int? count = null, int? connected = null, TimeSpan? timeout = null) =>
        client.ExpectAsync("state", m =>
            (status is null || (string?)m["status"] == status)
            && (count is null || (int?)m["participants"]?["count"] == count)
            && (connected is null || (int?)m["participants"]?["connected"] == connected), timeout);

    /// <summary>A refusal on the socket as apiv2 makes it: the error message, the close code, and a reason for it.</summary>
    public static async Task AssertRefusedWithReasonAsync(WsClient socket, string error, int closeStatus)
    {
        var reason = await AssertRefusedAsync(socket, error, closeStatus);
        Assert.False(string.IsNullOrWhiteSpace(reason), "a refusal must say why in the close reason");
    }

    /// <summary>Opens the creator's socket ("A") and waits for the state it finds there: <paramref name="status"/>,
    /// <paramref name="count"/> participants, A alone connected.</summary>
    public static async Task<WsClient> ConnectCreatorAsync(ZvonimServer server, Created call, string status = "waiting", int count = 1)
    {
        var a = await ConnectAsync(server, call.CallId, call.PeerId, "A");
        await a.ExpectStateAsync(status, count, 1);
        return a;
    }

    /// <summary>A call with both participants connected and past the greetings.</summary>
    public static async Task<Pair> ConnectedPairAsync(ZvonimServer server, HttpClient http)
    {
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        var a = await ConnectCreatorAsync(server, call, "active", 2);
        var b = await ConnectAsync(server, call.CallId, peerB, "B");
        await b.ExpectAsync("join");
        await a.ExpectAsync("join");
        await a.ExpectStateAsync("active", 2, 2);
        return new Pair(call, peerB, a, b);
    }

    /// <summary>Sends an offer from <paramref name="from"/> and asserts <paramref name="to"/> gets it byte for byte.</summary>
    public static async Task AssertRelayAsync(WsClient from, WsClient to, string? tag = null)
    {
        var frame = $$"""{"type":"offer","sdp":"v=0\r\no=- {{tag ?? Guid.NewGuid().ToString("N")}} 2 IN IP4 127.0.0.1\r\n"}""";
        await from.SendTextAsync(frame);
        var got = await to.CollectUntilAsync(m => m.Type == "offer", what: "the relayed offer");
        Assert.Equal(frame, got[^1].Raw);
    }
}
