using System.Net.WebSockets;
using System.Text;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Web.Limits;

namespace Zvonim.Web.Signaling;

/// <summary>
/// The edge half of a peer: one WebSocket, rendered in one dialect, written by one sender at a time. Whoever queues a
/// frame onto an idle socket sends it right away on its own thread (no hop to a writer); while a send is in flight,
/// frames queue behind it and the same sender drains them, in order. Nothing that queues ever waits: past a high-water
/// mark the socket reports congestion (so the senders' read loops pause, see <see cref="PeerActor"/>), and a client
/// that stops reading for <see cref="StallTimeout"/>, or overruns the hard limit, is closed.
/// </summary>
public sealed class SocketConnection : IPeerConnection, IDisposable
{
    /// <summary>How long a closing handshake may take before the socket is simply dropped.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Frames sent inline by one caller before the rest is handed to the thread pool.</summary>
    private const int InlineSends = 32;

    private readonly WebSocket _socket;
    private readonly ISignalingDialect _dialect;
    private readonly int _limit;
    private readonly int _highWater;
    private readonly int _lowWater;
    private readonly long _bytesLimit;  // bytes queued behind the send in flight, like _limit for frames
    private readonly long _bytesHighWater;
    private readonly long _bytesLowWater;
    private long _queuedBytes;
    private readonly SendQueueBudget _node;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _abort;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Queue<Outgoing>? _queue; // frames behind the one in flight
    private bool _sending;           // a sender owns the socket
    private bool _closed;            // a close was asked for (or the socket is finished): nothing more is queued
    private bool _congested;
    private bool _reportedCongested; // what CongestionChanged said last, under _report
    private readonly Lock _report = new();
    private long _lastProgress;      // timestamp of the last completed send
    private ITimer? _stallTimer;
    private TaskCompletionSource? _readGate; // set while reading is paused
    private readonly HeldReaders? _held;
    private TaskCompletionSource? _writeGate; // set while congested

    private readonly record struct Outgoing(byte[]? Frame, WebSocketCloseStatus Status = WebSocketCloseStatus.NormalClosure, string? Reason = null);

    /// <param name="sendQueueBytes">Bytes that may queue behind the send in flight; congested at a quarter, like frames.</param>
    /// <param name="node">The node's budget for all queues together: past it, a socket that queues more is congested.</param>
    /// <param name="held">Told when this socket's reading is paused.</param>
    public SocketConnection(WebSocket socket, ISignalingDialect dialect, int sendQueueLimit, TimeProvider? time = null, TimeSpan? stallTimeout = null,
        long sendQueueBytes = long.MaxValue, SendQueueBudget? node = null, HeldReaders? held = null)
    {
        _node = node ?? SendQueueBudget.Unlimited;
        _held = held;
        _socket = socket;
        _dialect = dialect;
        _limit = sendQueueLimit;
        _highWater = Math.Max(2, sendQueueLimit / 4);
        _lowWater = Math.Max(1, sendQueueLimit / 16);
        _bytesLimit = sendQueueBytes;
        _bytesHighWater = sendQueueBytes / 4;
        _bytesLowWater = sendQueueBytes / 16;
        _time = time ?? TimeProvider.System;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time); // its CancelAfter runs on the same clock
        // Aborting is what a cancelled send would do (ManagedWebSocket aborts on cancellation), registered once here
        // rather than once per send: see PumpAsync. The bridge also aborts the HTTP connection then, which completes a
        // write that TCP holds back.
        _abort.Token.UnsafeRegister(static state => ((WebSocket)state!).Abort(), socket);
        StallTimeout = stallTimeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>How long a congested socket may go without completing a send before it is closed.</summary>
    public TimeSpan StallTimeout { get; }

    /// <summary>Told true when the queue passes its high-water mark and false when it has drained; never from under the
    /// queue's lock (only under the reports' own, which orders them). The handler must not block.</summary>
    public Action<bool>? CongestionChanged { get; set; }

    /// <summary>Cancelled when the socket must be dropped without further ceremony.</summary>
    public CancellationToken Aborted => _abort.Token;

    /// <summary>Completes when nothing more will be written: after the close frame, a failure, or <see cref="Complete"/>.</summary>
    public Task Completion => _done.Task;

    /// <summary>Completed while the client's frames may be read; pending while its PeerActor has paused reading.</summary>
    public Task WhenReadable => Volatile.Read(ref _readGate)?.Task ?? Task.CompletedTask;

    public Task WhenWritable => Volatile.Read(ref _writeGate)?.Task ?? Task.CompletedTask;

    public void Send(PeerEvent peerEvent)
    {
        if (_dialect.Encode(peerEvent) is { } frame) Enqueue(new Outgoing(frame));
    }

    public void PauseReading(bool paused)
    {
        if (paused)
        {
            if (Interlocked.CompareExchange(ref _readGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null) is null)
                _held?.Held();
        }
        else Interlocked.Exchange(ref _readGate, null)?.TrySetResult();
    }

    public void Close(CloseReason reason, string message, Refusal? refusal = null)
    {
        var status = reason switch
        {
            CloseReason.Superseded => (WebSocketCloseStatus)4001,
            CloseReason.ServerStopping => WebSocketCloseStatus.EndpointUnavailable,
            CloseReason.TooManyRefusals => WebSocketCloseStatus.PolicyViolation,
            CloseReason.Refused => (WebSocketCloseStatus)(refusal switch
            {
                Refusal.NotAParticipant or Refusal.Forbidden => 4403,
                Refusal.Full => 4409,
                Refusal.Ended => 4410,
                Refusal.AtCapacity => 1013, // try again later
                _ => 4404,
            }),
            _ => WebSocketCloseStatus.NormalClosure,
        };
        CloseAfterQueued(status, message);
    }

    /// <summary>Closes after the frames already queued. Only the first close counts.</summary>
    public void CloseAfterQueued(WebSocketCloseStatus status, string reason) => BeginClose(new Outgoing(null, status, reason), dropQueued: false);

    /// <summary>Closes without sending what is still queued (a client too slow to read it).</summary>
    public void CloseNow(WebSocketCloseStatus status, string reason) => BeginClose(new Outgoing(null, status, reason), dropQueued: true);

    /// <summary>Called by the reader when the socket is finished: nothing more is queued, and what is queued is dropped.</summary>
    public void Complete()
    {
        bool idle;
        lock (_gate)
        {
            _closed = true;
            DropQueued();
            idle = !_sending;
        }
        PauseReading(false);
        StopStallWatch();
        if (idle) _done.TrySetResult();
        else _abort.CancelAfter(CloseTimeout); // a send stuck on a client that is gone must not hold the socket forever
    }

    /// <summary>Called once the socket is finished (after <see cref="Completion"/>): the close deadline armed by the
    /// close no longer has anything to end. Left armed, its timer would hold the WebSocket (its abort is registered on
    /// the token) and what Kestrel hangs off it for <see cref="CloseTimeout"/> after every ordinary close, and fire for
    /// nothing.</summary>
    /// <remarks>The token source itself is not disposed: the PeerActor may still call <see cref="Close"/> or
    /// <see cref="Send"/> on a socket that has gone, and those must stay harmless.</remarks>
    public void Dispose()
    {
        Finish();
        if (!_abort.IsCancellationRequested) _abort.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    private void Enqueue(Outgoing item)
    {
        bool start = false, overflow = false, congested = false;
        lock (_gate)
        {
            if (_closed) return;
            if (!_sending) start = _sending = true;
            else
            {
                _queue ??= new Queue<Outgoing>();
                var bytes = item.Frame?.Length ?? 0;
                if (_queue.Count >= _limit || _queuedBytes + bytes > _bytesLimit) overflow = true;
                else
                {
                    _queue.Enqueue(item);
                    _queuedBytes += bytes;
                    var nodeWithin = _node.Add(bytes);
                    if (!_congested && (_queue.Count >= _highWater || _queuedBytes >= _bytesHighWater || !nodeWithin)) congested = _congested = true;
                }
            }
        }
        if (start) _ = PumpAsync(item); // only the caller that found the socket idle sends; everyone else has queued
        else if (overflow) CloseNow(WebSocketCloseStatus.PolicyViolation, "Send queue overflow: the client is not reading its messages.");
        else if (congested) OnCongested();
    }

    /// <summary>Forgets what is queued (under the lock), giving its bytes back to the node.</summary>
    private void DropQueued()
    {
        _queue?.Clear();
        _node.Remove(_queuedBytes);
        _queuedBytes = 0;
    }

    private void BeginClose(Outgoing close, bool dropQueued)
    {
        bool start;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            if (dropQueued)
            {
                DropQueued();
            }
            start = !_sending;
            if (start) _sending = true;
            else (_queue ??= new Queue<Outgoing>()).Enqueue(close);
        }
        // A close must finish within CloseTimeout however it came: a send that never completes (a client that stopped
        // reading) must not keep the socket, nor the node's shutdown, waiting.
        _abort.CancelAfter(CloseTimeout);
        StopStallWatch();
        if (start) _ = PumpAsync(close);
    }

    /// <summary>Sends <paramref name="item"/> and then whatever queued behind it, until the queue is empty.</summary>
    private async Task PumpAsync(Outgoing item)
    {
        try
        {
            for (var sent = 0; ; sent++)
            {
                if (item.Frame is null)
                {
                    await SendCloseAsync(item).ConfigureAwait(false);
                    break;
                }
                if (sent == InlineSends) await Task.Yield(); // a long backlog is drained off the caller's thread
                // No token: ManagedWebSocket sends with a cancellable one on its slow path (a cancellation registration
                // and an async state machine per frame: 1 µs a frame in the setup profile). The abort registered in
                // the constructor ends a send that never completes instead; Kestrel then reports that send as done,
                // so the abort is looked at here rather than left to an exception.
                await _socket.SendAsync(item.Frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                if (_abort.IsCancellationRequested) break;
                Volatile.Write(ref _lastProgress, _time.GetTimestamp());
                bool relieved = false, idle = false, finished = false;
                lock (_gate)
                {
                    if (_queue is { Count: > 0 } queue)
                    {
                        item = queue.Dequeue();
                        _queuedBytes -= item.Frame?.Length ?? 0;
                        _node.Remove(item.Frame?.Length ?? 0);
                    }
                    else
                    {
                        idle = true;
                        _sending = false;
                        finished = _closed; // Complete() came while this send was in flight
                    }
                    if (_congested && (_queue?.Count ?? 0) <= _lowWater && _queuedBytes <= _bytesLowWater)
                    {
                        _congested = false;
                        relieved = true;
                    }
                }
                if (relieved) OnRelieved();
                if (finished) break;
                if (idle) return;
            }
        }
        catch (Exception)
        {
            // Any failure to write ends this socket (the reader sees the abort); it must never stop the pump silently.
            _abort.Cancel();
        }
        Finish();
    }

    private void Finish()
    {
        lock (_gate)
        {
            _closed = true;
            _sending = true; // nobody sends again
            DropQueued();
        }
        StopStallWatch();
        _done.TrySetResult();
    }

    private void OnCongested()
    {
        Interlocked.CompareExchange(ref _writeGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
        if (!Volatile.Read(ref _congested)) OpenWriteGate(); // drained meanwhile
        Volatile.Write(ref _lastProgress, _time.GetTimestamp());
        var check = StallTimeout / 4;
        _stallTimer ??= _time.CreateTimer(static state => ((SocketConnection)state!).CheckStall(), this, check, check);
        Report();
    }

    private void OpenWriteGate() => Interlocked.Exchange(ref _writeGate, null)?.TrySetResult();

    private void OnRelieved()
    {
        OpenWriteGate();
        StopStallWatch();
        Report();
    }

    /// <summary>Tells the state as it is now, not the change that led here: a queuer reporting "congested" and the pump
    /// reporting "relieved" race outside the queue's lock, and the later report must not be the stale one, or the
    /// senders would stay paused for a socket that has drained. Each transition is followed by a report, and each report
    /// reads the state under its own lock, so the last report says the last state.</summary>
    private void Report()
    {
        lock (_report)
        {
            var congested = Volatile.Read(ref _congested);
            if (congested == _reportedCongested) return;
            _reportedCongested = congested;
            CongestionChanged?.Invoke(congested);
        }
    }

    private void CheckStall()
    {
        bool closed;
        lock (_gate) closed = _closed;
        if (closed)
        {
            StopStallWatch(); // the watch may have been started just as the socket closed
            return;
        }
        if (!Volatile.Read(ref _congested) || _time.GetElapsedTime(Volatile.Read(ref _lastProgress)) < StallTimeout) return;
        CloseNow(WebSocketCloseStatus.PolicyViolation, "The client stopped reading its messages.");
    }

    private void StopStallWatch()
    {
        OpenWriteGate(); // a socket that stops being watched (drained or closing) holds no writer back
        var timer = Interlocked.Exchange(ref _stallTimer, null);
        timer?.Dispose();
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
