using System.Buffers;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Signaling;

/// <summary>
/// Turns an HTTP upgrade into a <see cref="PeerActor"/> with its <see cref="SocketConnection"/>, then reads the socket:
/// frames are size-checked, decoded by the dialect and told to the actor. Runs for the life of the socket.
/// </summary>
public sealed class WebSocketBridge(ActorSystem system, IRequiredActor<CallManager> calls, IOptions<ZvonimOptions> options, TimeProvider time, ILogger<WebSocketBridge> log)
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
        var connection = new SocketConnection(socket, dialect, settings.SendQueueLimit, time, settings.EffectiveStallTimeout);
        // Only our own counter goes into the name: ids come from the client and may hold anything.
        var name = "peer-" + Interlocked.Increment(ref _connections).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var peer = system.ActorOf(PeerActor.Props(attach, calls.ActorRef, connection, settings.PendingLimit), name);
        connection.CongestionChanged = congested => peer.Tell(new SocketCongestion(congested), ActorRefs.NoSender);
        var why = "closed";
        try
        {
            why = await ReadAsync(socket, connection, dialect, peer, attach.PeerId ?? "", settings.MaxMessageBytes, context.RequestAborted);
        }
        catch (Exception ex)
        {
            // A bug must cost one socket, never the process or anyone else's call.
            log.LogError(ex, "Socket of peer {peer_id} in call {call_id} failed", attach.PeerId, attach.CallId);
            connection.CloseNow(WebSocketCloseStatus.InternalServerError, "The server failed to handle a message.");
            why = "failed";
        }
        finally
        {
            peer.Tell(new SocketClosed(why), ActorRefs.NoSender);
            connection.Complete();
            await connection.Completion;
            log.LogDebug("Socket of peer {peer_id} in call {call_id} ended: {Why}", attach.PeerId, attach.CallId, why);
        }
        return null;
    }

    private static async Task<string> ReadAsync(WebSocket socket, SocketConnection connection, ISignalingDialect dialect,
        IActorRef peer, string peerId, int maxBytes, CancellationToken requestAborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, connection.Aborted);
        using var buffer = new MessageBuffer(maxBytes);
        try
        {
            while (true)
            {
                // Paused while someone this client sends to cannot keep up: TCP then slows the client, nothing is lost.
                var readable = connection.WhenReadable;
                if (!readable.IsCompleted) await readable.WaitAsync(stop.Token);
                // Wait for the next message without holding a buffer: an idle socket costs no receive memory.
                var peek = await socket.ReceiveAsync(Memory<byte>.Empty, stop.Token);
                if (peek.MessageType == WebSocketMessageType.Close) return "closed by the client";
                if (!peek.EndOfMessage) // an empty message is complete already; reading on would wait for the next one
                {
                    var received = await ReceiveMessageAsync(socket, buffer, stop.Token);
                    if (received.Type == WebSocketMessageType.Close) return "closed by the client";
                    if (received.TooBig)
                    {
                        connection.CloseNow(WebSocketCloseStatus.MessageTooBig, $"Message exceeds the limit of {maxBytes} bytes.");
                        return "message too big";
                    }
                    Handle(connection, dialect, peer, peerId, received.Type, buffer.Written(received.Count));
                }
                else
                {
                    Handle(connection, dialect, peer, peerId, peek.MessageType, []);
                }
                buffer.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return "dropped";
        }
    }

    private static void Handle(SocketConnection connection, ISignalingDialect dialect, IActorRef peer, string peerId,
        WebSocketMessageType type, ReadOnlySpan<byte> frame)
    {
        if (type == WebSocketMessageType.Binary)
        {
            connection.Send(new ErrorEvent(ErrorCodes.BadMessage, "Binary messages are not supported; send JSON text."));
            return;
        }
        var inbound = dialect.Decode(frame, peerId);
        if (inbound.Error is { } error) connection.Send(error);
        else if (inbound.Message is { } message) peer.Tell(message, ActorRefs.NoSender);
    }

    private readonly record struct Received(int Count, WebSocketMessageType Type, bool TooBig = false);

    /// <summary>Reads one whole message into <paramref name="buffer"/>, or stops at the limit.</summary>
    private static async Task<Received> ReceiveMessageAsync(WebSocket socket, MessageBuffer buffer, CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            var space = buffer.SpaceAfter(count);
            if (space.IsEmpty) return new Received(count, WebSocketMessageType.Text, TooBig: true);
            var result = await socket.ReceiveAsync(space, cancellationToken);
            count += result.Count;
            if (result.MessageType == WebSocketMessageType.Close || result.EndOfMessage) return new Received(count, result.MessageType);
        }
    }

    /// <summary>
    /// The receive buffer of one socket: rented from the pool only while a message is being read, grown up to the
    /// limit, and returned exactly once, whichever way reading ends.
    /// </summary>
    private sealed class MessageBuffer(int maxBytes) : IDisposable
    {
        private byte[]? _array;

        /// <summary>Room for the bytes after the first <paramref name="used"/>; empty when the limit is reached.</summary>
        public Memory<byte> SpaceAfter(int used)
        {
            _array ??= ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxBytes));
            var capacity = Math.Min(_array.Length, maxBytes);
            if (used == capacity && capacity < maxBytes)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_array.Length * 2, maxBytes));
                _array.AsSpan(0, used).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_array);
                _array = larger;
                capacity = Math.Min(_array.Length, maxBytes);
            }
            return _array.AsMemory(used, capacity - used);
        }

        public ReadOnlySpan<byte> Written(int count) => count == 0 ? [] : _array.AsSpan(0, count);

        public void Release()
        {
            if (_array is null) return;
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }

        public void Dispose() => Release();
    }
}
