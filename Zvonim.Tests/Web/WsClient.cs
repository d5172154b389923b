using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Zvonim.Tests.Web;

/// <summary>One message the server sent: its exact text (for byte-for-byte checks) and its parsed form.</summary>
public sealed record WsMessage(string Raw, JsonObject Json)
{
    public string? Type => (string?)Json["type"];

    /// <summary>A property of the parsed message, e.g. <c>(string?)message["error"]</c>.</summary>
    public JsonNode? this[string property] => Json[property];

    public override string ToString() => Raw.Length > 300 ? Raw[..300] + "…" : Raw;
}

/// <summary>
/// A real <see cref="ClientWebSocket"/> that collects what the server says, for tests to inspect in order. Every
/// message is kept as raw text (to check that relayed messages are byte-identical) and as JSON, in the queue that
/// <see cref="ReceiveAsync(TimeSpan?)"/> and <see cref="ExpectAsync"/> read from and in <see cref="Received"/>.
/// </summary>
public sealed class WsClient : IAsyncDisposable
{
    /// <summary>How long a wait for the server lasts unless a test says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = HttpKit.Patience;

    private readonly ClientWebSocket _socket = new();
    private readonly Channel<WsMessage> _messages = Channel.CreateUnbounded<WsMessage>();
    private readonly List<WsMessage> _received = [];
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Reason)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;

    private WsClient(string name) => Name = name;

    /// <summary>Who this socket is in the test, for failure messages.</summary>
    public string Name { get; }

    /// <summary>The id the server gave this socket (peer_id or user_id), when the test records it.</summary>
    public string Id { get; set; } = "";

    public WebSocket Socket => _socket;

    /// <summary>Every message received so far, in order (whether or not it has been read off the queue).</summary>
    public IReadOnlyList<WsMessage> Received
    {
        get
        {
            lock (_received) return [.. _received];
        }
    }

    public bool HasPending => _messages.Reader.TryPeek(out _);

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Completes when the server has closed the socket.</summary>
    public Task WhenClosed => _closed.Task;

    /// <param name="from">The loopback address to connect from (127.0.0.2, ...), as a separate client would.</param>
    public static async Task<WsClient> ConnectAsync(Uri uri, string name = "client", IPAddress? from = null)
    {
        var client = new WsClient(name);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        if (from is null) await client._socket.ConnectAsync(uri, cts.Token);
        else
        {
            using var invoker = new HttpMessageInvoker(SourceAddress.Handler(from));
            await client._socket.ConnectAsync(uri, invoker, cts.Token);
        }
        client._reader = client.ReadAsync();
        return client;
    }

    /// <summary>Connects with options set first (headers, subprotocols), as a non-browser or browser client would.</summary>
    public static async Task<WsClient> ConnectAsync(Uri uri, string name, Action<ClientWebSocketOptions> configure)
    {
        var client = new WsClient(name);
        configure(client._socket.Options);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await client._socket.ConnectAsync(uri, cts.Token);
        client._reader = client.ReadAsync();
        return client;
    }

    /// <summary>A WebSocket handshake sent as a plain HTTP request, for the body of a refusal (a
    /// <see cref="ClientWebSocket"/> keeps only its status). The body is read before the answer is returned.</summary>
    public static async Task<HttpResponseMessage> HandshakeAsync(Uri uri, IPAddress? from = null)
    {
        using var http = new HttpClient(SourceAddress.Handler(from ?? IPAddress.Loopback)) { Timeout = DefaultTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp }.Uri);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>A WebSocket handshake the server answers with a plain HTTP status instead of 101; returns that status.</summary>
    public static async Task<HttpStatusCode> HandshakeRefusedAsync(Uri uri, IPAddress? from = null, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        using var invoker = new HttpMessageInvoker(SourceAddress.Handler(from ?? IPAddress.Loopback));
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, invoker, cts.Token));
        return socket.HttpStatusCode;
    }

    public Task SendAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBytesAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text) =>
        _socket.SendAsync(bytes, type, true, CancellationToken.None);

    /// <summary>Sends <paramref name="text"/> as one message split into <paramref name="parts"/> WebSocket frames.</summary>
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

    /// <summary>The very next message, whatever it is.</summary>
    public async Task<WsMessage> ReceiveAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
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

    /// <summary>The very next message, which must be of <paramref name="type"/>.</summary>
    public async Task<WsMessage> ReceiveAsync(string type)
    {
        var message = await ReceiveAsync();
        Assert.True(message.Type == type, $"{Name}: expected a '{type}' message next, got {message}");
        return message;
    }

    /// <summary>Skips messages until one of <paramref name="type"/> (matching <paramref name="predicate"/>) arrives.</summary>
    public async Task<WsMessage> ExpectAsync(string type, Func<WsMessage, bool>? predicate = null, TimeSpan? timeout = null) =>
        (await CollectUntilAsync(m => m.Type == type && (predicate is null || predicate(m)), timeout, $"'{type}' message"))[^1];

    /// <summary>Every message up to and including the first that matches.</summary>
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
                message = await ReceiveAsync(left);
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
    /// A barrier for the dialects that answer <c>{"type":"join"}</c> with the <c>state</c> (apiv2, link rooms): sends it
    /// and returns every message received up to that answer. Because a peer's messages are handled in order, anything
    /// the server would have sent in reaction to this client's earlier messages has arrived by then. Only meaningful
    /// while the state is not changing: a state push would pass for the answer.
    /// </summary>
    public async Task<List<WsMessage>> SyncAsync()
    {
        await SendTextAsync("""{"type":"join"}""");
        return await CollectUntilAsync(m => m.Type == "state", what: "'state' answer to join");
    }

    /// <summary>Waits for the server to close the socket; returns its close status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        try
        {
            return await _closed.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{Name}: the server did not close the socket within {wait.TotalSeconds} s; state {_socket.State}");
        }
    }

    /// <summary>Waits for the server to close the socket with <paramref name="closeStatus"/>; returns the reason.</summary>
    public async Task<string?> AssertClosedAsync(int closeStatus)
    {
        var (status, reason) = await ClosedAsync();
        Assert.True((int?)status == closeStatus, $"{Name}: expected close {closeStatus}, got {(int?)status} ({reason})");
        return reason;
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
                var message = new WsMessage(raw, Parse(raw));
                lock (_received) _received.Add(message);
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

    /// <summary>The message as JSON; what the server should never send still arrives, with a type saying what was wrong.</summary>
    private static JsonObject Parse(string raw)
    {
        try
        {
            var json = JsonNode.Parse(raw) as JsonObject ?? new JsonObject { ["type"] = "<not an object>" };
            _ = json.Count; // materialise now: duplicate keys throw here, not later in a test
            return json;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            return new JsonObject { ["type"] = "<unreadable json>" };
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
