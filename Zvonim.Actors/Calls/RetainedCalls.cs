namespace Zvonim.Actors.Calls;

/// <summary>
/// The ended calls a single node still answers about, kept as their <see cref="CallRecord"/> (a few hundred bytes)
/// rather than as their actor (about 4 KB and some sixty objects the GC walks on every full collection: at a few
/// hundred setups a second, five minutes of them were most of the heap). The manager answers a status from the record
/// and brings the call's actor back from it for anything else, so that every answer is still the call's own. Each one
/// goes at its retirement date, or earlier, oldest first, when more are held than the node may hold.
/// </summary>
public sealed class RetainedCalls
{
    private readonly EndedCalls<Retained> _oldestFirst = new();
    private readonly PriorityQueue<string, DateTimeOffset> _byRetirement = new();
    private int _stale; // queued ids of calls that retired early: dropped at the head, or all at once by Rebuild

    /// <summary>Stale queue entries tolerated before a rebuild, at the least (a rebuild is linear in the calls held).</summary>
    private const int RebuildFloor = 1024;

    private sealed record Retained(CallRecord Record, DateTimeOffset RetireAt);

    public int Count => _oldestFirst.Count;

    /// <summary>Holds <paramref name="record"/> until <paramref name="retireAt"/>; a call already held keeps its date.</summary>
    public void Add(CallRecord record, DateTimeOffset retireAt)
    {
        if (_oldestFirst.TryGet(record.CallId, out _)) return;
        _oldestFirst.Add(record.CallId, new Retained(record, retireAt));
        _byRetirement.Enqueue(record.CallId, retireAt);
    }

    /// <summary>An ended call changed (someone left it): its new record, under its first retirement date. False when
    /// it is no longer held.</summary>
    public bool Replace(CallRecord record)
    {
        if (!_oldestFirst.TryGet(record.CallId, out var retained)) return false;
        _oldestFirst.Update(record.CallId, retained with { Record = record });
        return true;
    }

    public bool TryGet(string callId, out CallRecord record)
    {
        var held = _oldestFirst.TryGet(callId, out var retained);
        record = retained?.Record!;
        return held;
    }

    /// <summary>The earliest retirement date among the calls held, if any.</summary>
    public DateTimeOffset? NextRetirement
    {
        get
        {
            while (_byRetirement.TryPeek(out var callId, out var at))
            {
                if (_oldestFirst.TryGet(callId, out var retained) && retained.RetireAt == at) return at;
                _byRetirement.Dequeue(); // retired early
                _stale--;
            }
            return null;
        }
    }

    /// <summary>Takes out every call whose retirement date is <paramref name="now"/> or before.</summary>
    public List<string> TakeRetired(DateTimeOffset now)
    {
        var retired = new List<string>();
        while (NextRetirement is { } at && at <= now)
        {
            var callId = _byRetirement.Dequeue();
            _oldestFirst.Remove(callId);
            retired.Add(callId);
        }
        return retired;
    }

    /// <summary>Takes the oldest call out while more than <paramref name="limit"/> are held.</summary>
    public bool TryTakeOldest(int limit, out string callId)
    {
        if (!_oldestFirst.TryTakeOldest(limit, out callId, out _)) return false;
        // Its queue entry would stay until its date: a node that retires early at a steady rate would keep a second
        // entry per call for the whole retention. Once they outnumber the calls held, the queue is built again.
        if (++_stale > Math.Max(RebuildFloor, _oldestFirst.Count)) Rebuild();
        return true;
    }

    /// <summary>Entries in the retirement queue, stale ones included (bounded by <see cref="TryTakeOldest"/>).</summary>
    internal int Queued => _byRetirement.Count;

    private void Rebuild()
    {
        _byRetirement.Clear();
        _byRetirement.EnqueueRange(_oldestFirst.Entries.Select(e => (e.CallId, e.Entry.RetireAt)));
        _stale = 0;
    }
}
