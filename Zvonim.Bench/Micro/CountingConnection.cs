using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Bench.Micro;

/// <summary>Counts what the PeerActor hands its connection (and passes it on to a real one, if any).</summary>
public sealed class CountingConnection(IPeerConnection? inner) : IPeerConnection
{
    private readonly TaskCompletionSource _admitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _peerConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _signals;
    private Waiter? _waiter;

    private sealed class Waiter(long target)
    {
        public long Target { get; } = target;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public Task Admitted => _admitted.Task;

    public Task PeerConnected => _peerConnected.Task;

    /// <summary>Completes when the PeerActor closed the connection.</summary>
    public Task Closed => _closed.Task;

    public long Signals => Interlocked.Read(ref _signals);

    public Task WhenSignals(long target)
    {
        var waiter = new Waiter(target);
        Volatile.Write(ref _waiter, waiter);
        if (Signals >= target) waiter.Done.TrySetResult();
        return waiter.Done.Task;
    }

    public void Send(PeerEvent peerEvent)
    {
        switch (peerEvent)
        {
            case SignalEvent:
                var n = Interlocked.Increment(ref _signals);
                if (Volatile.Read(ref _waiter) is { } waiter && n >= waiter.Target) waiter.Done.TrySetResult();
                break;
            case StateEvent:
                _admitted.TrySetResult();
                break;
            case PeerConnectedEvent:
                _peerConnected.TrySetResult();
                break;
        }
        inner?.Send(peerEvent);
    }

    public void Close(CloseReason reason, string message, Refusal? refusal = null)
    {
        _closed.TrySetResult();
        inner?.Close(reason, message, refusal);
    }

    public void PauseReading(bool paused) => inner?.PauseReading(paused);
}
