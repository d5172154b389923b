namespace Zvonim.Actors.Time;

/// <summary>
/// Many long one-shot timers on one timer of the clock: the pending ones in a heap by due time, the clock's timer
/// armed for the earliest. .NET keeps every live timer in a list it walks about three times a second; a node keeping
/// each ended call for its five-minute retention with a timer of its own had some 170 000 of them at 580 setups/s,
/// and that walk (a cache miss per timer) took 4–5 % of a core. Here a timer costs a heap slot and only due ones are
/// touched. A cancelled item stays in the heap until it is due or the heap is compacted (when most of it is dead).
/// </summary>
internal sealed class TimerHeap : IDisposable
{
    /// <summary>Something the heap fires once, unless it was cancelled first.</summary>
    public abstract class Item
    {
        private int _state; // 0 pending, 1 fired or cancelled

        /// <summary>Whether the item will not fire (fired already, or cancelled).</summary>
        public bool IsDone => Volatile.Read(ref _state) == 1;

        /// <summary>Marks the item done; true for the one caller that did it.</summary>
        public bool TryFinish() => Interlocked.Exchange(ref _state, 1) == 0;

        /// <summary>Runs the item's work: called once, off the heap's lock.</summary>
        public abstract void Fire();
    }

    private const int CompactAbove = 4096;

    private readonly TimeProvider _clock;
    private readonly long _started;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<Item, TimeSpan> _heap = new();
    private TimeSpan _armedFor = TimeSpan.MaxValue;
    private int _dead;

    public TimerHeap(TimeProvider clock)
    {
        _clock = clock;
        _started = clock.GetTimestamp();
        _timer = clock.CreateTimer(static state => ((TimerHeap)state!).FireDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Items waiting, cancelled ones not yet dropped included.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _heap.Count;
        }
    }

    private TimeSpan Now => _clock.GetElapsedTime(_started);

    /// <summary>Fires <paramref name="item"/> after <paramref name="delay"/> (more than zero: a zero delay would fire
    /// inside the clock's timer call on a fake clock, under this heap's lock).</summary>
    public void Add(Item item, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero);
        lock (_gate)
        {
            var due = Now + delay;
            _heap.Enqueue(item, due);
            if (due < _armedFor) Arm(due);
        }
    }

    /// <summary>An item was cancelled: counted, so a heap of mostly dead items is compacted.</summary>
    public void Cancelled()
    {
        lock (_gate)
        {
            if (++_dead <= CompactAbove || _dead * 2 <= _heap.Count) return;
            var live = _heap.UnorderedItems.Where(e => !e.Element.IsDone).ToList();
            _heap.Clear();
            _heap.EnqueueRange(live);
            _dead = 0;
        }
    }

    private void FireDue()
    {
        List<Item>? due = null;
        lock (_gate)
        {
            var now = Now;
            while (_heap.TryPeek(out var item, out var at) && at <= now)
            {
                _heap.Dequeue();
                if (item.IsDone) _dead = Math.Max(0, _dead - 1);
                else (due ??= []).Add(item);
            }
            _armedFor = TimeSpan.MaxValue;
            if (_heap.TryPeek(out _, out var next)) Arm(next);
        }
        if (due is null) return;
        foreach (var item in due)
            if (item.TryFinish()) item.Fire();
    }

    private void Arm(TimeSpan due)
    {
        _armedFor = due;
        var wait = due - Now; // below zero only on a real clock that moved on meanwhile: fire at once, on the pool
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _timer.Dispose();
}
