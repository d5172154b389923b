namespace Zvonim.Web.Signaling;

/// <summary>
/// The node's sockets whose reading is paused because someone they send to cannot keep up (TCP then slows their
/// clients). The first hold is a task, so that whoever wants to see the backpressure act (a test flooding a slow
/// reader) can await it rather than guess when a backlog has built.
/// </summary>
public sealed class HeldReaders
{
    private long _count;
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sockets held right now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Completes when a socket of this node is first held.</summary>
    public Task FirstHeld => _first.Task;

    public void Held()
    {
        Interlocked.Increment(ref _count);
        _first.TrySetResult();
    }

    public void Released() => Interlocked.Decrement(ref _count);
}
