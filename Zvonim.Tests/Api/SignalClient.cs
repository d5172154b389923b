using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Api;

/// <summary>One frame the server sent: its exact text and its parsed form.</summary>
public sealed record WsMessage(string Raw, JsonObject Json)
{
    public string? Type => (string?)Json["type"];

    public override string ToString() => Raw.Length > 200 ? Raw[..200] + "…" : Raw;
}

/// <summary>
/// A signalling client written from the apiv2 description only: a real <see cref="ClientWebSocket"/> whose received
/// frames are kept as raw text (to check that relayed frames are byte-identical) and as JSON. Every frame ever
/// received is also kept in <see cref="Log"/>.
/// </summary>
public sealed class SignalClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly Channel<WsMessage> _messages = Channel.CreateUnbounded<WsMessage>();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Reason)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<WsMessage> _log = [];
    private Task? _reader;

    private SignalClient(ClientWebSocket socket) => _socket = socket;

    public string Name { get; private init; } = "client";

    public WebSocket Socket => _socket;

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<WsMessage> Log
    {
        get
        {
            lock (_log) return [.. _log];
        }
    }

    public static Task<SignalClient> ConnectAsync(ZvonimServer server, string callId, string peerId, string name = "client") =>
        ConnectAsync(server.WebSocketUri($"/apiv2/ws?call_id={Uri.EscapeDataString(callId)}&peer_id={Uri.EscapeDataString(peerId)}"), name);

    public static async Task<SignalClient> ConnectAsync(Uri uri, string name = "client")
    {
        var socket = new ClientWebSocket();
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, cts.Token);
        var client = new SignalClient(socket) { Name = name };
        client._reader = client.ReadAsync();
        return client;
    }

    /// <summary>Tries a WebSocket upgrade that the server is expected to answer with a plain HTTP error.</summary>
    public static async Task<HttpStatusCode> ConnectExpectingHttpErrorAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, cts.Token));
        return socket.HttpStatusCode;
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBytesAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text) =>
        _socket.SendAsync(bytes, type, true, CancellationToken.None);

    /// <summary>Sends <paramref name="text"/> split into several WebSocket frames of one message.</summary>
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

    /// <summary>The next frame, whatever it is.</summary>
    public async Task<WsMessage> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{Name}: no message within {(timeout ?? DefaultTimeout).TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            var (status, reason) = await _closed.Task;
            throw new Xunit.Sdk.XunitException($"{Name}: the socket closed ({(int?)status}: {reason}) while a message was expected");
        }
    }

    /// <summary>Skips frames until one of <paramref name="type"/> (matching <paramref name="predicate"/>) arrives.</summary>
    public async Task<WsMessage> ExpectAsync(string type, Func<JsonObject, bool>? predicate = null, TimeSpan? timeout = null)
    {
        return (await CollectUntilAsync(m => m.Type == type && (predicate is null || predicate(m.Json)), timeout,
            $"a '{type}' message"))[^1];
    }

    /// <summary>A <c>state</c> frame with the given status and/or connected count.</summary>
    public Task<WsMessage> ExpectStateAsync(string? status = null, int? count = null, int? connected = null, TimeSpan? timeout = null) =>
        ExpectAsync("state", j =>
            (status is null || (string?)j["status"] == status)
            && (count is null || (int?)j["participants"]?["count"] == count)
            && (connected is null || (int?)j["participants"]?["connected"] == connected), timeout);

    /// <summary>Every frame up to and including the first that matches.</summary>
    public async Task<List<WsMessage>> CollectUntilAsync(Func<WsMessage, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var seen = new List<WsMessage>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            WsMessage message;
            try
            {
                if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"{Name}: timed out");
                message = await NextAsync(left);
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{Name}: no {what ?? "matching message"} ({ex.Message}); saw: [{string.Join(", ", seen)}]");
            }
            seen.Add(message);
            if (match(message)) return seen;
        }
    }

    /// <summary>
    /// A barrier: sends <c>{"type":"join"}</c> and returns every frame received up to the server's <c>state</c>
    /// answer. Because a peer's frames are handled in order, anything the server would have sent in reaction to
    /// earlier frames of this client has arrived by then.
    /// </summary>
    public async Task<List<WsMessage>> SyncAsync()
    {
        // Only meaningful while the call's state is not changing: a state push would pass for the answer.
        await SendTextAsync("""{"type":"join"}""");
        return await CollectUntilAsync(m => m.Type == "state", what: "'state' answer to join");
    }

    /// <summary>Waits for the server to close the socket; returns its close status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(TimeSpan? timeout = null)
    {
        try
        {
            return await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{Name}: the server did not close the socket within {(timeout ?? DefaultTimeout).TotalSeconds} s; state {_socket.State}");
        }
    }

    public bool IsClosed => _closed.Task.IsCompleted;

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
                    _ = json.Count; // materialise now: duplicate keys throw here, not later in a test
                }
                catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
                {
                    json = new JsonObject { ["type"] = "<unreadable json>" };
                }
                var message = new WsMessage(raw, json);
                lock (_log) _log.Add(message);
                _messages.Writer.TryWrite(message);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult((null, "aborted: " + ex.Message));
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    /// <summary>Drops the connection without a closing handshake, as a lost network would.</summary>
    public void Abort() => _socket.Abort();

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
