using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Web.Signaling;

/// <summary>
/// The edge half of a peer: one WebSocket, rendered in one dialect, written by exactly one writer loop from a bounded
/// queue. Nothing that sends to it ever waits: a client that cannot keep up is closed instead.
/// </summary>
public sealed class SocketConnection : IPeerConnection
{
    /// <summary>How long a closing handshake may take before the socket is simply dropped.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly ISignalingDialect _dialect;
    private readonly Channel<Outgoing> _queue;
    private readonly CancellationTokenSource _abort = new();
    private Outgoing? _closing; // set once, by whoever closes first
    private int _closed;

    private readonly record struct Outgoing(byte[]? Frame, WebSocketCloseStatus Status = WebSocketCloseStatus.NormalClosure, string? Reason = null);

    public SocketConnection(WebSocket socket, ISignalingDialect dialect, int sendQueueLimit)
    {
        _socket = socket;
        _dialect = dialect;
        _queue = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(sendQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full, which is the signal to close
        });
    }

    /// <summary>Cancelled when the socket must be dropped without further ceremony.</summary>
    public CancellationToken Aborted => _abort.Token;

    public void Send(PeerEvent peerEvent)
    {
        if (_dialect.Encode(peerEvent) is not { } frame) return;
        if (!_queue.Writer.TryWrite(new Outgoing(frame)) && Volatile.Read(ref _closed) == 0)
            CloseNow(WebSocketCloseStatus.PolicyViolation, "Send queue overflow: the client is not reading its messages.");
    }

    public void Close(CloseReason reason, string message, Refusal? refusal = null)
    {
        var status = reason switch
        {
            CloseReason.Superseded => (WebSocketCloseStatus)4001,
            CloseReason.ServerStopping => WebSocketCloseStatus.EndpointUnavailable,
            CloseReason.Refused => (WebSocketCloseStatus)(refusal switch
            {
                Refusal.NotAParticipant => 4403,
                Refusal.Full => 4409,
                Refusal.Ended => 4410,
                _ => 4404,
            }),
            _ => WebSocketCloseStatus.NormalClosure,
        };
        CloseAfterQueued(status, message);
    }

    /// <summary>Closes after the frames already queued.</summary>
    public void CloseAfterQueued(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        var close = new Outgoing(null, status, reason);
        if (!_queue.Writer.TryWrite(close)) _closing = close;
        _queue.Writer.TryComplete();
    }

    /// <summary>Closes without sending what is still queued (a client too slow to read it).</summary>
    public void CloseNow(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _closing = new Outgoing(null, status, reason);
        _queue.Writer.TryComplete();
    }

    /// <summary>The single writer. Ends after the close frame is out, or when the socket fails.</summary>
    public async Task RunWriterAsync()
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(_abort.Token).ConfigureAwait(false))
            {
                if (_closing is not null) break; // CloseNow: drop the backlog
                if (item.Frame is null)
                {
                    await SendCloseAsync(item).ConfigureAwait(false);
                    return;
                }
                await _socket.SendAsync(item.Frame, WebSocketMessageType.Text, endOfMessage: true, _abort.Token).ConfigureAwait(false);
            }
            if (_closing is { } closing) await SendCloseAsync(closing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _abort.Cancel();
        }
    }

    /// <summary>Called by the reader when the socket is finished, so the writer stops too.</summary>
    public void Complete()
    {
        Interlocked.Exchange(ref _closed, 1);
        _queue.Writer.TryComplete();
    }

    private async Task SendCloseAsync(Outgoing close)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        _abort.CancelAfter(CloseTimeout);
        await _socket.CloseOutputAsync(close.Status, Truncate(close.Reason ?? ""), _abort.Token).ConfigureAwait(false);
    }

    /// <summary>A close reason may carry at most 123 bytes of UTF-8.</summary>
    private static string Truncate(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 123) return reason;
        var length = reason.Length;
        while (Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > 120) length--;
        return reason[..length] + "…";
    }
}
