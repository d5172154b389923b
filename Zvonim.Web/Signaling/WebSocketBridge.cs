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
        var name = $"peer-{attach.CallId}-{attach.PeerId ?? "new"}-{Interlocked.Increment(ref _connections)}";
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
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            while (true)
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
                            return "message too big";
                        }
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, maxBytes) - count), stop.Token);
                    if (result.MessageType == WebSocketMessageType.Close) return "closed by the client";
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    connection.Send(new ErrorEvent(ErrorCodes.BadMessage, "Binary messages are not supported; send JSON text."));
                    continue;
                }
                var inbound = dialect.Decode(buffer.AsSpan(0, count), peerId);
                if (inbound.Error is { } error) connection.Send(error);
                else if (inbound.Message is { } message) peer.Tell(message);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return "dropped";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
