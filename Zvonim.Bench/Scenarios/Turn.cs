namespace Zvonim.Bench.Scenarios;

/// <summary>Whose turn it is: a server's setup workers wait here before each setup.</summary>
internal sealed class Turn
{
    /// <summary>A turn that never closes: one server with the load to itself.</summary>
    public static readonly Turn Always = Opened();

    private volatile TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _isOpen;

    /// <summary>Set by whoever opens and closes the turns, apart from the gate the workers wait on, so that a setup
    /// begun out of turn shows.</summary>
    public bool IsOpen => _isOpen;

    private static Turn Opened()
    {
        var turn = new Turn();
        turn.Open();
        return turn;
    }

    public Task WaitAsync() => _open.Task;

    public void Open()
    {
        _isOpen = true;
        _open.TrySetResult();
    }

    public void Close()
    {
        _isOpen = false;
        Interlocked.MemoryBarrier(); // before the drain reads the workers' count (SetupLoad.WhenIdleAsync)
        if (_open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
