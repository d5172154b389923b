namespace Zvonim.Actors.Peers;

/// <summary>
/// How far a socket's reader may read ahead of the actors that handle what it read. The reader counts each message it
/// hands on (<see cref="Told"/>) and waits (<see cref="WhenCaughtUp"/>) while <see cref="Limit"/> of them are still
/// unhandled; whoever handles one says so (<see cref="Handled"/>), from any thread. Without it a fast client's frames
/// pile up in mailboxes while the actors are slow to run, and then reach a receiver's socket all at once, past its
/// send queue's limit, before the congestion it reports can pause the sender: frames wait in TCP instead.
/// </summary>
public sealed class ReadAhead
{
    /// <summary>Messages that may wait for the actors before the reader stops reading.</summary>
    public const int Limit = 32;

    private long _told;    // written by the reader only
    private long _handled; // written by the handlers, with Interlocked: a device's legs acknowledge on their own threads
    private TaskCompletionSource? _caughtUp; // the reader waiting for the handlers to work off its backlog
    private volatile bool _released;         // the handlers are gone: nothing will be given back, nor need be

    /// <summary>Reader: one more message handed on, to be acknowledged with <see cref="Handled"/>.</summary>
    public void Told() => Volatile.Write(ref _told, _told + 1);

    /// <summary>Reader: whether every message it handed on has been handled (nothing sent earlier is still on its way).</summary>
    public bool IsCaughtUp => Volatile.Read(ref _handled) == _told;

    /// <summary>Handlers: <paramref name="count"/> more of the reader's messages are handled, and what they sent is queued.</summary>
    public void Handled(long count = 1)
    {
        var handled = Interlocked.Add(ref _handled, count); // a full fence: the reader's wait below sees it or is seen
        if (Volatile.Read(ref _caughtUp) is not null && Volatile.Read(ref _told) - handled <= Limit / 2)
            Interlocked.Exchange(ref _caughtUp, null)?.TrySetResult();
    }

    /// <summary>Handlers: they have stopped, and what they were given will never be handled. The reader no longer
    /// waits (it reads on to the client's close reply, or the end of the socket).</summary>
    public void Release()
    {
        _released = true;
        Interlocked.Exchange(ref _caughtUp, null)?.TrySetResult();
    }

    /// <summary>Reader: pending while <see cref="Limit"/> or more of its messages wait; completes once the handlers are
    /// down to half of that, so the reader reads on in bursts rather than one message a wake.</summary>
    public Task WhenCaughtUp()
    {
        if (_released || _told - Volatile.Read(ref _handled) < Limit) return Task.CompletedTask;
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _caughtUp, waiter);
        // The handlers may have caught up between the check and the exchange, without seeing a waiter.
        if (_released || _told - Volatile.Read(ref _handled) <= Limit / 2) Interlocked.Exchange(ref _caughtUp, null)?.TrySetResult();
        return waiter.Task;
    }
}
