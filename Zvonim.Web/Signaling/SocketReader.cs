using System.Net.WebSockets;
using Akka.Actor;
using Zvonim.Actors.Peers;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Signaling;

/// <summary>
/// Reads one client's socket for its whole life: each message is size-checked, must be complete within
/// <see cref="SignalingOptions.MessageTimeout"/>, is decoded by the dialect and told to the socket's PeerActor.
/// Reading pauses while someone this client sends to cannot keep up. A client that keeps sending what the server
/// cannot use is closed after <see cref="LimitOptions.MaxInvalidMessagesPerMinute"/> error replies in a minute.
/// While the socket's call is settled, frames skip the actor and go straight to the receivers' sockets (<see cref="RelayLane"/>).
/// Either way the reader reads no further ahead of the actors than <see cref="ReadAhead.Limit"/> messages.
/// </summary>
/// <param name="readAhead">For a socket without a lane: every message told to the actor is counted here, and the
/// actor (or whoever it passes the message to) gives it back once handled.</param>
internal sealed class SocketReader(WebSocket socket, SocketConnection connection, ISignalingDialect dialect, IActorRef peer,
    string peerId, SignalingOptions settings, LimitOptions limits, TimeProvider time, RelayLane? lane = null, ReadAhead? readAhead = null)
{
    private int _invalid;
    private long _invalidSince;

    /// <summary>Reads until the socket ends; returns why it ended, for the log.</summary>
    public async Task<string> RunAsync(CancellationToken requestAborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, connection.Aborted);
        using var buffer = new MessageBuffer(settings.MaxMessageBytes);
        try
        {
            while (true)
            {
                // Paused while someone this client sends to cannot keep up: TCP then slows the client, nothing is lost.
                var readable = connection.WhenReadable;
                if (!readable.IsCompleted) await readable.WaitAsync(stop.Token);
                if (lane is not null)
                {
                    // Read no further ahead of the actor than its backlog allows: frames wait in TCP, not in mailboxes.
                    var caughtUp = lane.WhenCaughtUp();
                    if (!caughtUp.IsCompleted) await caughtUp.WaitAsync(stop.Token);
                    Task writable;
                    while (!(writable = lane.WhenWritable()).IsCompleted) await writable.WaitAsync(stop.Token);
                }
                else if (readAhead is not null)
                {
                    var caughtUp = readAhead.WhenCaughtUp();
                    if (!caughtUp.IsCompleted) await caughtUp.WaitAsync(stop.Token);
                }
                // Wait for the next message without holding a buffer: an idle socket costs no receive memory.
                var peek = await socket.ReceiveAsync(Memory<byte>.Empty, stop.Token);
                if (peek.MessageType == WebSocketMessageType.Close) return "closed by the client";
                var ok = true;
                if (!peek.EndOfMessage) // an empty message is complete already; reading on would wait for the next one
                {
                    var received = await ReceiveMessageAsync(buffer, stop.Token);
                    if (received.Type == WebSocketMessageType.Close) return "closed by the client";
                    if (received.TooBig)
                    {
                        connection.CloseNow(WebSocketCloseStatus.MessageTooBig, $"Message exceeds the limit of {settings.MaxMessageBytes} bytes.");
                        return "message too big";
                    }
                    if (received.TimedOut) return "message not completed in time";
                    ok = Handle(received.Type, buffer.Written(received.Count));
                }
                else
                {
                    ok = Handle(peek.MessageType, []);
                }
                buffer.Release();
                if (!ok && TooManyInvalid())
                {
                    connection.Send(new ErrorEvent(ErrorCodes.TooManyInvalid,
                        $"More than {limits.MaxInvalidMessagesPerMinute} invalid messages in a minute; closing."));
                    connection.CloseAfterQueued(WebSocketCloseStatus.PolicyViolation, "Too many invalid messages.");
                    return "too many invalid messages";
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return "dropped";
        }
    }

    /// <summary>Decodes and passes on one message; false when the client was told it was invalid.</summary>
    private bool Handle(WebSocketMessageType type, ReadOnlySpan<byte> frame)
    {
        if (type == WebSocketMessageType.Binary)
        {
            connection.Send(new ErrorEvent(ErrorCodes.BadMessage, "Binary messages are not supported; send JSON text."));
            return false;
        }
        var inbound = dialect.Decode(frame, peerId);
        if (inbound.Error is { } error)
        {
            connection.Send(error);
            return false;
        }
        if (inbound.Message is not { } message) return true;
        if (lane is not null)
        {
            lane.Pass(message, peer);
            return true;
        }
        readAhead?.Told();
        peer.Tell(message, ActorRefs.NoSender);
        return true;
    }

    /// <summary>Counts an invalid message in the current minute; true once past the allowance.</summary>
    private bool TooManyInvalid()
    {
        var now = time.GetTimestamp();
        if (_invalid == 0 || time.GetElapsedTime(_invalidSince, now) > TimeSpan.FromMinutes(1))
        {
            _invalid = 0;
            _invalidSince = now;
        }
        return ++_invalid > limits.MaxInvalidMessagesPerMinute;
    }

    private readonly record struct Received(int Count, WebSocketMessageType Type, bool TooBig = false, bool TimedOut = false);

    /// <summary>Reads one whole message into <paramref name="buffer"/>, or stops at the size limit or the time limit.</summary>
    private async Task<Received> ReceiveMessageAsync(MessageBuffer buffer, CancellationToken cancellationToken)
    {
        var count = 0;
        var started = time.GetTimestamp();
        while (true)
        {
            var space = buffer.SpaceAfter(count);
            if (space.IsEmpty) return new Received(count, WebSocketMessageType.Text, TooBig: true);
            var read = socket.ReceiveAsync(space, cancellationToken);
            if (!read.IsCompleted)
            {
                // The rest of a message is late: wait for it no longer than the message timeout allows.
                var left = settings.MessageTimeout - time.GetElapsedTime(started);
                var pending = read.AsTask();
                using var late = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var inTime = left > TimeSpan.Zero && await Task.WhenAny(pending, Task.Delay(left, time, late.Token)) == pending;
                late.Cancel(); // the timer goes with it
                if (!inTime)
                {
                    connection.CloseNow(WebSocketCloseStatus.PolicyViolation,
                        $"A message must be complete within {settings.MessageTimeout.TotalSeconds:0.#} s.");
                    try
                    {
                        await pending; // ends when the client answers the close, or when the close times out
                    }
                    catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                    {
                    }
                    return new Received(count, WebSocketMessageType.Text, TimedOut: true);
                }
                read = new ValueTask<ValueWebSocketReceiveResult>(pending);
            }
            var result = await read;
            count += result.Count;
            if (result.MessageType == WebSocketMessageType.Close || result.EndOfMessage) return new Received(count, result.MessageType);
        }
    }
}
