using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Api;

public sealed record Created(string CallId, string PeerId);

/// <summary>The HTTP half of apiv2 as a client sees it, with the assertions every test shares.</summary>
public static partial class ApiKit
{
    [GeneratedRegex("^[A-Za-z0-9_-]{21}$")]
    public static partial Regex NanoId();

    public static ZvonimServer Server(params (string Key, string Value)[] settings) => Server(null, settings);

    public static ZvonimServer Server(ManualTimeProvider? time, params (string Key, string Value)[] settings) =>
        new(settings.ToDictionary(s => s.Key, s => (string?)s.Value), time);

    public static HttpClient Http(this ZvonimServer server)
    {
        var http = server.Http();
        http.Timeout = TimeSpan.FromSeconds(10);
        return http;
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new Xunit.Sdk.XunitException($"Expected a JSON object, got: {text}");
        }
        catch (System.Text.Json.JsonException)
        {
            throw new Xunit.Sdk.XunitException($"Expected JSON ({(int)response.StatusCode}), got: '{text}'");
        }
    }

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
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"join answered {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Equal(callId, (string?)body["call_id"]);
        return (string)body["peer_id"]!;
    }

    public static Task<HttpResponseMessage> LeaveAsync(HttpClient http, string callId, string peerId) =>
        http.PostAsJsonAsync($"/apiv2/calls/{callId}/leave", new Dictionary<string, string> { ["peer_id"] = peerId });

    public static async Task<JsonObject> StatusAsync(HttpClient http, string callId)
    {
        using var response = await http.GetAsync($"/apiv2/calls/{callId}");
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET answered {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>Polls the call's status (the server works asynchronously) until it is <paramref name="status"/>.</summary>
    public static async Task<JsonObject> WaitForStatusAsync(HttpClient http, string callId, string status, int? count = null)
    {
        JsonObject? last = null;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            last = await StatusAsync(http, callId);
            if ((string?)last["status"] == status && (count is null || (int?)last["participants"]?["count"] == count)) return last;
            await Task.Delay(25);
        }
        throw new Xunit.Sdk.XunitException($"Call {callId} never became {status} (count {count}); last: {last?.ToJsonString()}");
    }

    /// <summary>Polls until GET answers <paramref name="expected"/>; returns that response's body.</summary>
    public static async Task<JsonObject> WaitForHttpStatusAsync(HttpClient http, string path, HttpStatusCode expected)
    {
        var last = "";
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var response = await http.GetAsync(path);
            if (response.StatusCode == expected) return await response.JsonAsync();
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            await Task.Delay(25);
        }
        throw new Xunit.Sdk.XunitException($"GET {path} never answered {(int)expected}; last: {last}");
    }

    /// <summary>Asserts the status and the error shape every 4xx/5xx must have: {"error": code, "message": text}.</summary>
    public static async Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status,
            $"Expected {(int)status} {error}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        Assert.Equal(error, (string?)body["error"]);
        var message = body["message"];
        Assert.True(message is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s),
            $"'message' must be a non-empty string: {text}");
        return body;
    }

    /// <summary>Asserts a socket-level error frame: {"type":"error","error":code,"message":text}.</summary>
    public static void AssertErrorFrame(WsMessage frame, string error)
    {
        Assert.Equal("error", frame.Type);
        Assert.Equal(error, (string?)frame.Json["error"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)frame.Json["message"]), $"error frame without a message: {frame.Raw}");
    }

    /// <summary>A call with both participants connected and past the greetings: A (creator) and B (joiner).</summary>
    public static async Task<(Created Call, string PeerB, SignalClient A, SignalClient B)> ConnectedPairAsync(ZvonimServer server, HttpClient http)
    {
        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        var a = await SignalClient.ConnectAsync(server, call.CallId, call.PeerId, "A");
        await a.ExpectStateAsync("active", 2, 1);
        var b = await SignalClient.ConnectAsync(server, call.CallId, peerB, "B");
        await b.ExpectAsync("join");
        await a.ExpectAsync("join");
        await a.ExpectStateAsync("active", 2, 2);
        return (call, peerB, a, b);
    }

    /// <summary>Sends an offer from <paramref name="from"/> and asserts <paramref name="to"/> gets it byte for byte.</summary>
    public static async Task AssertRelayAsync(SignalClient from, SignalClient to, string? tag = null)
    {
        var frame = $$"""{"type":"offer","sdp":"v=0\r\no=- {{tag ?? Guid.NewGuid().ToString("N")}} 2 IN IP4 127.0.0.1\r\n"}""";
        await from.SendTextAsync(frame);
        var got = await to.CollectUntilAsync(m => m.Type == "offer", what: "the relayed offer");
        Assert.Equal(frame, got[^1].Raw);
    }
}
