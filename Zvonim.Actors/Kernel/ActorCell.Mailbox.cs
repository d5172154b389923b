namespace Zvonim.Actors.Kernel;

/// <summary>
/// The mailbox, as Akka's: a queue plus a "scheduled" flag, and the cell itself is the thread-pool work item that runs
/// a turn of up to <see cref="Throughput"/> messages. No task or channel waits per actor, so an idle actor costs two
/// small queues and nothing on the thread pool, and a message to an idle actor is one work item.
/// </summary>
internal sealed partial class ActorCell : IThreadPoolWorkItem
{
    /// <summary>Messages per turn before the thread is given back (Akka's dispatcher throughput).</summary>
    private const int Throughput = 64;

    private readonly Lock _mailboxGate = new();
    private Queue<Envelope>? _incoming; // under _mailboxGate
    private Queue<Envelope>? _batch;    // owned by the running turn: swapped with _incoming, one lock per batch
    private bool _opened;               // under _mailboxGate: the actor is constructed, turns may run
    private bool _scheduled;            // under _mailboxGate: a turn is queued or running
    private bool _closed;               // under _mailboxGate: terminated; posts become dead letters

    public bool Post(in Envelope envelope)
    {
        lock (_mailboxGate)
        {
            if (_closed) return false;
            (_incoming ??= new Queue<Envelope>(4)).Enqueue(envelope);
            if (_scheduled || !_opened) return true;
            _scheduled = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        return true;
    }

    /// <summary>After construction and PreStart: messages that came meanwhile (replies to PreStart) run now.</summary>
    private void OpenMailbox()
    {
        lock (_mailboxGate)
        {
            _opened = true;
            if (_incoming is not { Count: > 0 } && !_stopRequested) return;
            _scheduled = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }

    void IThreadPoolWorkItem.Execute() => RunTurn();

    private void RunTurn()
    {
        for (var processed = 0; processed < Throughput; processed++)
        {
            if (_stopRequested)
            {
                _ = TerminateAsync(); // the turn never ends: _scheduled stays set, so no turn runs after this
                return;
            }
            if (!TryTake(out var envelope)) return;
            var processing = Process(envelope);
            if (!processing.IsCompletedSuccessfully)
            {
                _ = ContinueAfter(processing);
                return;
            }
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // more to do: let other work run first
    }

    /// <summary>An async handler holds the mailbox: the turn resumes when it completes (it never throws).</summary>
    private async Task ContinueAfter(Task processing)
    {
        await processing.ConfigureAwait(false);
        RunTurn();
    }

    private bool TryTake(out Envelope envelope)
    {
        if (_batch is { Count: > 0 })
        {
            envelope = _batch.Dequeue();
            return true;
        }
        Queue<Envelope> batch;
        lock (_mailboxGate)
        {
            if (_incoming is not { Count: > 0 } incoming)
            {
                _scheduled = false;
                envelope = default;
                return false;
            }
            batch = incoming;
            _incoming = _batch;
            _batch = batch;
        }
        envelope = batch.Dequeue();
        return true;
    }

    /// <summary>No message is taken after this; returns what was left, oldest first.</summary>
    private List<Envelope> CloseMailbox()
    {
        var leftovers = new List<Envelope>();
        lock (_mailboxGate)
        {
            _closed = true;
            if (_batch is not null) leftovers.AddRange(_batch);
            if (_incoming is not null) leftovers.AddRange(_incoming);
            _batch = _incoming = null;
        }
        return leftovers;
    }
}
