namespace Zvonim.Web.Signaling;

/// <summary>
/// Whether any socket of the node has had its reading paused because someone it sends to cannot keep up (TCP then
/// slows its client). The first hold is a task, so that whoever wants to see the backpressure act (a test flooding a
/// slow reader) can await it rather than guess when a backlog has built.
/// </summary>
public sealed class HeldReaders
{
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a socket of this node is first held.</summary>
    public Task FirstHeld => _first.Task;

    public void Held() => _first.TrySetResult();
}
