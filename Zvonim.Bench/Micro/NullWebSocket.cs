using System.Net.WebSockets;

namespace Zvonim.Bench.Micro;

/// <summary>A WebSocket whose sends complete at once and are only counted; relayed signals (frames that start like
/// the bench's ICE message) are counted apart, and one can wait for their count to be reached.</summary>
public sealed class NullWebSocket : WebSocket
{
    private sealed class Waiter(long target)
    {
        public long Target { get; } = target;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static readonly byte[] SignalPrefix = "{\"type\":\"ice-candidate\""u8.ToArray();
    private long _frames;
    private long _signals;
    private long _bytes;
    private Waiter? _waiter;
    private WebSocketState _state = WebSocketState.Open;

    public long Frames => Interlocked.Read(ref _frames);

    public long Signals => Interlocked.Read(ref _signals);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Completes once <paramref name="signals"/> relayed signals in all have been sent.</summary>
    public Task WhenSignals(long signals)
    {
        var waiter = new Waiter(signals);
        Volatile.Write(ref _waiter, waiter);
        if (Signals >= signals) waiter.Done.TrySetResult();
        return waiter.Done.Task;
    }

    private void Count(ReadOnlySpan<byte> frame)
    {
        Interlocked.Add(ref _bytes, frame.Length);
        Interlocked.Increment(ref _frames);
        if (!frame.StartsWith(SignalPrefix)) return;
        var signals = Interlocked.Increment(ref _signals);
        if (Volatile.Read(ref _waiter) is { } waiter && signals >= waiter.Target) waiter.Done.TrySetResult();
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        Count(buffer.AsSpan());
        return Task.CompletedTask;
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        Count(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    public override void Abort() => _state = WebSocketState.Aborted;

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = WebSocketState.Closed;
        return Task.CompletedTask;
    }

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = WebSocketState.CloseSent;
        return Task.CompletedTask;
    }

    public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<WebSocketReceiveResult>(_ => throw new OperationCanceledException(), TaskScheduler.Default);

    public override void Dispose() => _state = WebSocketState.Closed;
}
