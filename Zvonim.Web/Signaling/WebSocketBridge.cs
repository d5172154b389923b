using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Kernel;
using Zvonim.Actors.Peers;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Signaling;

/// <summary>
/// Turns an HTTP upgrade into a <see cref="PeerActor"/> with its <see cref="SocketConnection"/>, then reads the socket:
/// frames are size-checked, decoded by the dialect and told to the actor. Runs for the life of the socket.
/// </summary>
public sealed class WebSocketBridge(ActorRuntime runtime, IOptions<ZvonimOptions> options, ILogger<WebSocketBridge> log)
{
    private const int InitialBufferBytes = 4096;
    private long _connections;

    public async Task<IResult?> RunAsync(HttpContext context, ISignalingDialect dialect, AttachPeer attach)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            return ApiError.Result(400, "websocket_required", "This endpoint speaks WebSocket only: connect with a WebSocket client.");

        var settings = options.Value.Signaling;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = settings.KeepAliveInterval,
            KeepAliveTimeout = settings.KeepAliveTimeout,
        });
        var connection = new SocketConnection(socket, dialect, settings.SendQueueLimit);
        var writer = connection.RunWriterAsync();
        // Only our own counter goes into the name: ids come from the client and may hold anything.
        var name = "peer-" + Interlocked.Increment(ref _connections).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var peer = runtime.System.ActorOf(PeerActor.Props(attach, runtime.Calls, connection, settings.PendingLimit), name);
        var why = "closed";
        try
        {
            why = await ReadAsync(socket, connection, dialect, peer, attach.PeerId ?? "", settings.MaxMessageBytes, context.RequestAborted);
        }
        finally
        {
            peer.Tell(new SocketClosed(why));
            connection.Complete();
            await writer;
            log.LogDebug("Socket of peer {peer_id} in call {call_id} ended: {Why}", attach.PeerId, attach.CallId, why);
        }
        return null;
    }

    private static async Task<string> ReadAsync(WebSocket socket, SocketConnection connection, ISignalingDialect dialect,
        IActorRef peer, string peerId, int maxBytes, CancellationToken requestAborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, connection.Aborted);
        try
        {
            while (true)
            {
                // Wait for the next message without holding a buffer: an idle socket costs no receive memory.
                var peek = await socket.ReceiveAsync(Memory<byte>.Empty, stop.Token);
                if (peek.MessageType == WebSocketMessageType.Close) return "closed by the client";
                if (peek.EndOfMessage)
                {
                    // An empty message is complete already; reading on would wait for the next one.
                    connection.Send(dialect.Decode([], peerId).Error ?? new ErrorEvent(ErrorCodes.BadJson, "Empty message."));
                    continue;
                }

                var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
                try
                {
                    var received = await ReceiveMessageAsync(socket, connection, buffer, maxBytes, stop.Token);
                    buffer = received.Buffer;
                    if (received.EndReason is { } why) return why;
                    if (received.Type == WebSocketMessageType.Binary)
                    {
                        connection.Send(new ErrorEvent(ErrorCodes.BadMessage, "Binary messages are not supported; send JSON text."));
                        continue;
                    }
                    var inbound = dialect.Decode(buffer.AsSpan(0, received.Count), peerId);
                    if (inbound.Error is { } error) connection.Send(error);
                    else if (inbound.Message is { } message) peer.Tell(message);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return "dropped";
        }
    }

    private readonly record struct Received(byte[] Buffer, int Count, WebSocketMessageType Type, string? EndReason);

    /// <summary>Reads one whole message, growing the (pooled) buffer up to <paramref name="maxBytes"/>; says why the
    /// socket ends when it does (closed, or the message was too big).</summary>
    private static async Task<Received> ReceiveMessageAsync(
        WebSocket socket, SocketConnection connection, byte[] buffer, int maxBytes, CancellationToken cancellationToken)
    {
        var count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            var limit = Math.Min(buffer.Length, maxBytes);
            if (count == limit)
            {
                if (limit == maxBytes)
                {
                    connection.CloseNow(WebSocketCloseStatus.MessageTooBig, $"Message exceeds the limit of {maxBytes} bytes.");
                    return new Received(buffer, count, WebSocketMessageType.Text, "message too big");
                }
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes));
                buffer.AsSpan(0, count).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            result = await socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, maxBytes) - count), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return new Received(buffer, count, result.MessageType, "closed by the client");
            count += result.Count;
        }
        while (!result.EndOfMessage);
        return new Received(buffer, count, result.MessageType, null);
    }
}
