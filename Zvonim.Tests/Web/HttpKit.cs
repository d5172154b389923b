using Microsoft.Extensions.Time.Testing;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Web;

/// <summary>One default-settings server (real Kestrel, real clock) shared by the tests of one class; every test uses
/// its own rooms, so they cannot see each other.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public ZvonimServer Server { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Several sockets (or anything else) disposed together, in order.</summary>
public sealed class Disposer(IEnumerable<IAsyncDisposable> items) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var item in items) await item.DisposeAsync();
    }
}

/// <summary>What the tests against a real server share, whatever the dialect: servers, HTTP requests and assertions,
/// the error shapes (over HTTP and on the socket) and bounded waiting.</summary>
public static class HttpKit
{
    /// <summary>How long any wait for the server lasts: a request, a message, a close, a state reached by polling.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static ZvonimServer Server(params (string Key, string Value)[] settings) => Server(null, settings);

    public static ZvonimServer Server(FakeTimeProvider? time, params (string Key, string Value)[] settings) =>
        new(settings.ToDictionary(s => s.Key, s => (string?)s.Value), time);

    /// <summary>An <see cref="HttpClient"/> on the server that gives up after <see cref="Patience"/>.</summary>
    public static HttpClient Client(this ZvonimServer server)
    {
        var http = server.Http();
        http.Timeout = Patience;
        return http;
    }

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    public static StringContent Json(JsonObject body) => Json(body.ToJsonString());

    /// <summary>The body, which must be a JSON object.</summary>
    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new Xunit.Sdk.XunitException($"Expected a JSON object ({(int)response.StatusCode}), got: {text}");
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"Expected JSON ({(int)response.StatusCode}), got: '{text}'");
        }
    }

    /// <summary>Asserts 200 with a JSON object body, and returns the body.</summary>
    public static async Task<JsonObject> OkAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>Asserts the status and the error shape every 4xx/5xx must have: {"error": code, "message": text}.</summary>
    public static async Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {error}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        Assert.Equal(error, (string?)body["error"]);
        AssertMessage(body, text);
        return body;
    }

    /// <summary>Asserts a socket-level error message: {"type":"error","error":code,"message":text}.</summary>
    public static void AssertErrorFrame(WsMessage frame, string error)
    {
        Assert.True(frame.Type == "error" && (string?)frame["error"] == error, $"expected an '{error}' error frame, got {frame}");
        AssertMessage(frame.Json, frame.Raw);
    }

    private static void AssertMessage(JsonObject error, string text) =>
        Assert.True(error["message"] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s),
            $"'message' must be a non-empty string: {text}");

    /// <summary>A refused socket: one error message with <paramref name="error"/>, then the close
    /// <paramref name="closeStatus"/>. Returns the close reason.</summary>
    public static async Task<string?> AssertRefusedAsync(WsClient socket, string error, int closeStatus)
    {
        AssertErrorFrame(await socket.ReceiveAsync(), error);
        return await socket.AssertClosedAsync(closeStatus);
    }

    /// <summary>The exact set of property names of <paramref name="json"/>.</summary>
    public static void AssertFields(JsonObject json, params string[] names) =>
        Assert.Equal(names.Order(StringComparer.Ordinal), json.Select(p => p.Key).Order(StringComparer.Ordinal));

    /// <summary>Bounded polling for state the server reaches asynchronously (never a sleep standing in for a wait).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        T last;
        do
        {
            last = await probe();
            if (done(last)) return last;
            await Task.Delay(20);
        }
        while (DateTime.UtcNow < deadline);
        throw new Xunit.Sdk.XunitException($"Never reached: {what}; last: {(last is JsonNode node ? node.ToJsonString() : last?.ToString())}");
    }

    /// <summary>Polls until GET <paramref name="path"/> answers <paramref name="expected"/>; returns that answer's body.</summary>
    public static async Task<JsonObject> WaitForHttpStatusAsync(HttpClient http, string path, HttpStatusCode expected)
    {
        var (_, body) = await EventuallyAsync(async () =>
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode == expected
                ? (response.StatusCode, await response.JsonAsync())
                : (response.StatusCode, new JsonObject { ["unexpected"] = await response.Content.ReadAsStringAsync() });
        }, answer => answer.StatusCode == expected, $"GET {path} answering {(int)expected}");
        return body;
    }

    /// <summary>Socket messages that are not one JSON object with a string "type", which every dialect refuses with
    /// invalid_json (for <c>[MemberData(nameof(MalformedJson), MemberType = typeof(HttpKit))]</c>).</summary>
    public static TheoryData<string> MalformedJson => new()
    {
        "{not json",
        "",
        "[1,2,3]",
        "\"offer\"",
        "{}",
        """{"sdp":"no type"}""",
        """{"type":42}""",
        """{"type":"offer","sdp":"x",}""",
        """{"type":"offer","sdp":"x"} {"type":"offer"}""",
    };

    public static DateTimeOffset Time(JsonNode? value) =>
        DateTimeOffset.Parse((string?)value ?? throw new Xunit.Sdk.XunitException("missing timestamp"), CultureInfo.InvariantCulture);

    /// <summary>A text message of exactly <paramref name="bytes"/> UTF-8 bytes: <c>{"type":type,"sdp":"xxx…"}</c>.</summary>
    public static string FrameOfSize(string type, int bytes, string extra = "")
    {
        var head = "{\"type\":\"" + type + "\"" + extra + ",\"sdp\":\"";
        const string tail = "\"}";
        var padding = bytes - Encoding.UTF8.GetByteCount(head) - tail.Length;
        Assert.True(padding > 0);
        var frame = head + new string('x', padding) + tail;
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(frame));
        return frame;
    }
}
