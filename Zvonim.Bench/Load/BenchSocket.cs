using System.Net.WebSockets;

namespace Zvonim.Bench.Load;

/// <summary>
/// One generator-side WebSocket: one reader (this class's <see cref="ReceiveAsync"/>) and one sender at a time, as
/// <see cref="ClientWebSocket"/> allows. The last message received stays in <see cref="Frame"/> until the next read.
/// </summary>
public sealed class BenchSocket(ClientWebSocket socket) : IDisposable
{
    private const int MaxMessageBytes = 4 * 1024 * 1024;
    private byte[] _buffer = new byte[512];

    public WebSocket Socket => socket;

    /// <summary>The last text message read.</summary>
    public ReadOnlySpan<byte> Frame => _buffer.AsSpan(0, Length);

    public int Length { get; private set; }

    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    public string? CloseStatusDescription => socket.CloseStatusDescription;

    /// <summary>Reads the next whole message into <see cref="Frame"/>; false once the server has closed.</summary>
    public async ValueTask<bool> ReceiveAsync(CancellationToken ct)
    {
        var count = 0;
        while (true)
        {
            if (count == _buffer.Length)
            {
                if (count >= MaxMessageBytes) throw new BenchFailure($"A message larger than {MaxMessageBytes} bytes arrived.");
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var result = await socket.ReceiveAsync(_buffer.AsMemory(count), ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                Length = 0;
                return false;
            }
            count += result.Count;
            if (result.EndOfMessage)
            {
                Length = count;
                return true;
            }
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct) =>
        socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, ct);

    /// <summary>Skips the server's own news (state, join) until a message of <paramref name="type"/>. A signalling
    /// message of another type is an order violation; an error message is a failure.</summary>
    public async Task ExpectAsync(string type, CancellationToken ct)
    {
        while (true)
        {
            if (!await ReceiveAsync(ct).ConfigureAwait(false))
                throw new BenchFailure($"The server closed the socket ({CloseStatus} {CloseStatusDescription}) while '{type}' was expected.");
            var got = Frames.TypeOf(Frame);
            if (got == type) return;
            if (got is "error" or "ERROR") throw new BenchFailure($"The server answered with an error while '{type}' was expected: {System.Text.Encoding.UTF8.GetString(Frame)}");
            if (!Frames.IsServerNews(got)) throw new OrderViolation($"'{got}' arrived while '{type}' was expected.");
        }
    }

    /// <summary>Reads until the server closes (skipping its news), then answers the close.</summary>
    public async Task ExpectCloseAsync(CancellationToken ct)
    {
        while (await ReceiveAsync(ct).ConfigureAwait(false))
        {
            var got = Frames.TypeOf(Frame);
            if (!Frames.IsServerNews(got)) throw new OrderViolation($"'{got}' arrived while the close was expected.");
        }
        await CloseQuietlyAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }

    /// <summary>Sends our close (and waits for the server's, briefly); never throws.</summary>
    public async Task CloseQuietlyAsync(TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench done", cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    public void Dispose() => socket.Dispose();
}

/// <summary>A signalling message overtook another: the relay broke order.</summary>
public sealed class OrderViolation(string message) : Exception(message);
