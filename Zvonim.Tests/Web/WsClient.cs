using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Zvonim.Tests.Web;

/// <summary>A real <see cref="ClientWebSocket"/> that collects what the server says, for tests to inspect in order.</summary>
public sealed class WsClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Reason)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;

    public WebSocket Socket => _socket;

    public static async Task<WsClient> ConnectAsync(Uri uri)
    {
        var client = new WsClient();
        await client._socket.ConnectAsync(uri, CancellationToken.None);
        client._reader = client.ReadAsync();
        return client;
    }

    public Task SendAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBytesAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text) =>
        _socket.SendAsync(bytes, type, true, CancellationToken.None);

    /// <summary>The next message, whatever it is.</summary>
    public async Task<JsonObject> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"No message within {(timeout ?? DefaultTimeout).TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            var (status, reason) = await _closed.Task;
            throw new Xunit.Sdk.XunitException($"The socket closed ({status}: {reason}) while a message was expected");
        }
    }

    /// <summary>Skips messages until one of <paramref name="type"/> (matching <paramref name="predicate"/>) arrives.</summary>
    public async Task<JsonObject> ExpectAsync(string type, Func<JsonObject, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var seen = new List<string>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"No '{type}' message; saw: {string.Join(", ", seen)}");
            JsonObject message;
            try
            {
                message = await ReceiveAsync(left);
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                throw new Xunit.Sdk.XunitException($"No '{type}' message ({ex.Message}); saw: {string.Join(", ", seen)}");
            }
            if ((string?)message["type"] == type && (predicate is null || predicate(message))) return message;
            seen.Add(message.ToJsonString());
        }
    }

    /// <summary>Waits for the server to close the socket; returns its close status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(TimeSpan? timeout = null) =>
        await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    public bool HasPending => _messages.Reader.TryPeek(out _);

    private async Task ReadAsync()
    {
        var buffer = new byte[1 << 20];
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
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    break;
                }
                _messages.Writer.TryWrite(JsonNode.Parse(buffer.AsSpan(0, count))!.AsObject());
            }
        }
        catch (WebSocketException)
        {
            _closed.TrySetResult((null, "aborted"));
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
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        if (_reader is not null) await Task.WhenAny(_reader, Task.Delay(2000));
        _socket.Dispose();
    }
}
