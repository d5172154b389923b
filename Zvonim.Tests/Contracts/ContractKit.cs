using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Contracts;

/// <summary>One default-settings server (real Kestrel, real clock) shared by the tests of one class; every test uses
/// its own rooms, so they cannot see each other.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public ZvonimServer Server { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>What every contract test shares: servers, HTTP assertions and the error shapes.</summary>
public static class ContractKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static ZvonimServer Server(ManualTimeProvider? time, params (string Key, string Value)[] settings) =>
        new(settings.ToDictionary(s => s.Key, s => (string?)s.Value), time);

    public static HttpClient Client(this ZvonimServer server)
    {
        var http = server.Http();
        http.Timeout = Patience;
        return http;
    }

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    public static StringContent Json(JsonObject body) => Json(body.ToJsonString());

    public static async Task<JsonObject> BodyAsync(HttpResponseMessage response)
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
        var body = await BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>Asserts a refusal: the status and {"error": code, "message": "..."}.</summary>
    public static async Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {error}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await BodyAsync(response);
        Assert.Equal(error, (string?)body["error"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"]), $"an error without a message: {text}");
        return body;
    }

    /// <summary>The exact set of property names of <paramref name="json"/>.</summary>
    public static void AssertFields(JsonObject json, params string[] names) =>
        Assert.Equal(names.Order(StringComparer.Ordinal), json.Select(p => p.Key).Order(StringComparer.Ordinal));

    public static void AssertErrorFrame(JsonObject frame, string error)
    {
        Assert.True((string?)frame["type"] == "error" && (string?)frame["error"] == error,
            $"expected an '{error}' error frame, got {frame.ToJsonString()}");
        Assert.False(string.IsNullOrWhiteSpace((string?)frame["message"]), $"error frame without a message: {frame.ToJsonString()}");
    }

    /// <summary>A refused socket: one error frame with <paramref name="error"/>, then the close <paramref name="closeStatus"/>.</summary>
    public static async Task AssertRefusedAsync(WsClient socket, string error, int closeStatus)
    {
        AssertErrorFrame(await socket.ReceiveAsync(Patience), error);
        var (status, reason) = await socket.ClosedAsync(Patience);
        Assert.True((int?)status == closeStatus, $"expected close {closeStatus}, got {(int?)status} ({reason})");
    }

    public static async Task AssertClosedAsync(WsClient socket, int closeStatus)
    {
        var (status, reason) = await socket.ClosedAsync(Patience);
        Assert.True((int?)status == closeStatus, $"expected close {closeStatus}, got {(int?)status} ({reason})");
    }

    /// <summary>A WebSocket handshake the server answers with a plain HTTP status instead of 101.</summary>
    public static async Task<HttpStatusCode> HandshakeRefusedAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(Patience);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, cts.Token));
        return socket.HttpStatusCode;
    }

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

    public static DateTimeOffset Time(JsonNode? value) =>
        DateTimeOffset.Parse((string?)value ?? throw new Xunit.Sdk.XunitException("missing timestamp"), CultureInfo.InvariantCulture);

    /// <summary>A text message of exactly <paramref name="bytes"/> UTF-8 bytes: <c>{"type":type,"sdp":"xxx…"}</c>.</summary>
    public static string FrameOfSize(string type, int bytes, string extra = "")
    {
        var head = "{\"type\":\"" + type + "\"" + extra + ",\"sdp\":\"";
        const string tail = "\"}";
        var padding = bytes - Encoding.UTF8.GetByteCount(head) - tail.Length;
        Assert.True(padding > 0);
        return head + new string('x', padding) + tail;
    }
}

/// <summary>One frame the server sent: its exact text (for byte-for-byte checks) and its parsed form.</summary>
public sealed record Frame(string Raw, JsonObject Json)
{
    public string? Type => (string?)Json["type"];

    public override string ToString() => Raw.Length > 300 ? Raw[..300] + "…" : Raw;
}

/// <summary>
/// A real <see cref="ClientWebSocket"/> like <see cref="WsClient"/>, but it keeps every frame's raw text, so that a test
/// can assert a relayed frame is byte-identical to what the other side sent.
/// </summary>
public sealed class RawWsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<Frame> _frames = Channel.CreateUnbounded<Frame>();
    private readonly List<Frame> _log = [];
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Reason)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;

    private RawWsClient(string name) => Name = name;

    public string Name { get; }

    /// <summary>The id the server gave this socket (peer_id or user_id), when the test records it.</summary>
    public string Id { get; set; } = "";

    /// <summary>Every frame received so far, in order.</summary>
    public IReadOnlyList<Frame> Received
    {
        get
        {
            lock (_log) return [.. _log];
        }
    }

    public static async Task<RawWsClient> ConnectAsync(Uri uri, string name)
    {
        var client = new RawWsClient(name);
        using var cts = new CancellationTokenSource(ContractKit.Patience);
        await client._socket.ConnectAsync(uri, cts.Token);
        client._reader = client.ReadAsync();
        return client;
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBytesAsync(byte[] bytes, WebSocketMessageType type) =>
        _socket.SendAsync(bytes, type, true, CancellationToken.None);

    /// <summary>One message sent as several WebSocket frames.</summary>
    public async Task SendFragmentedAsync(string text, int parts)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var size = (bytes.Length + parts - 1) / parts;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var count = Math.Min(size, bytes.Length - offset);
            await _socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count >= bytes.Length, CancellationToken.None);
        }
    }

    /// <summary>The very next frame, whatever it is.</summary>
    public async Task<Frame> NextAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? ContractKit.Patience;
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{Name}: no message within {wait.TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            var (status, reason) = await _closed.Task;
            throw new Xunit.Sdk.XunitException($"{Name}: the socket closed ({(int?)status}: {reason}) while a message was expected");
        }
    }

    /// <summary>The very next frame, which must be of <paramref name="type"/>.</summary>
    public async Task<Frame> NextAsync(string type)
    {
        var frame = await NextAsync();
        Assert.True(frame.Type == type, $"{Name}: expected a '{type}' message next, got {frame}");
        return frame;
    }

    /// <summary>Skips frames until one of <paramref name="type"/> arrives.</summary>
    public async Task<Frame> ExpectAsync(string type)
    {
        var seen = new List<Frame>();
        var deadline = DateTime.UtcNow + ContractKit.Patience;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"{Name}: no '{type}' message; saw [{string.Join(", ", seen)}]");
            Frame frame;
            try
            {
                frame = await NextAsync(left);
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                throw new Xunit.Sdk.XunitException($"{Name}: no '{type}' message ({ex.Message}); saw [{string.Join(", ", seen)}]");
            }
            if (frame.Type == type) return frame;
            seen.Add(frame);
        }
    }

    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync()
    {
        try
        {
            return await _closed.Task.WaitAsync(ContractKit.Patience);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{Name}: the server did not close the socket; state {_socket.State}");
        }
    }

    public async Task AssertClosedAsync(int closeStatus)
    {
        var (status, reason) = await ClosedAsync();
        Assert.True((int?)status == closeStatus, $"{Name}: expected close {closeStatus}, got {(int?)status} ({reason})");
    }

    /// <summary>Drops the connection without a closing handshake, as a lost network would.</summary>
    public void Abort() => _socket.Abort();

    private async Task ReadAsync()
    {
        var buffer = new byte[4 << 20];
        try
        {
            while (true)
            {
                var count = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult((result.CloseStatus, result.CloseStatusDescription));
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
                    }
                    break;
                }
                var raw = Encoding.UTF8.GetString(buffer, 0, count);
                JsonObject json;
                try
                {
                    json = JsonNode.Parse(raw) as JsonObject ?? new JsonObject { ["type"] = "<not an object>" };
                }
                catch (Exception ex) when (ex is JsonException or ArgumentException)
                {
                    json = new JsonObject { ["type"] = "<unparsable>" };
                }
                var frame = new Frame(raw, json);
                lock (_log) _log.Add(frame);
                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult((null, "aborted: " + ex.Message));
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
        if (_reader is not null) await Task.WhenAny(_reader, Task.Delay(2000));
        _socket.Dispose();
    }
}
