namespace Zvonim.Actors.Telemetry;

/// <summary>
/// A running total that many threads add to at message rates: one cell per processor (a cache line apart, so cores do
/// not take the line from each other), summed when read. What an observable instrument reports at a scrape, in place
/// of a <see cref="System.Diagnostics.Metrics.Counter{T}"/> whose every Add goes through the exporter's aggregation
/// (a lookup by tags, about 1 µs a frame in the setup profile).
/// </summary>
public sealed class StripedCounter
{
    private const int Stride = 16; // longs: 128 bytes, a cache line on x64 and arm64 alike, with room for prefetch pairs
    private readonly long[] _cells;
    private readonly int _mask;

    public StripedCounter()
    {
        var cells = 1;
        while (cells < Environment.ProcessorCount && cells < 64) cells <<= 1;
        _mask = cells - 1;
        _cells = new long[(cells + 1) * Stride]; // the first line is left alone: the array's length lives beside it
    }

    public void Add(long value) =>
        // Interlocked all the same: two threads may share a processor id (one preempted mid-add, or the id is stale).
        Interlocked.Add(ref _cells[((Thread.GetCurrentProcessorId() & _mask) + 1) * Stride], value);

    public long Sum()
    {
        long sum = 0;
        for (var i = Stride; i < _cells.Length; i += Stride) sum += Volatile.Read(ref _cells[i]);
        return sum;
    }
}
