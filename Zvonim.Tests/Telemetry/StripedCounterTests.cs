using Zvonim.Actors.Telemetry;

namespace Zvonim.Tests.Telemetry;

/// <summary>The relay's frame and byte totals: adds from many threads at once are all counted, none twice.</summary>
public sealed class StripedCounterTests
{
    [Fact]
    public async Task Adds_from_many_threads_at_once_sum_to_their_total()
    {
        var counter = new StripedCounter();
        const int Threads = 8, Adds = 100_000;
        using var start = new Barrier(Threads);
        var workers = Enumerable.Range(1, Threads).Select(n => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Adds; i++) counter.Add(n);
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(workers);

        Assert.Equal((long)Adds * Enumerable.Range(1, Threads).Sum(), counter.Sum());
    }
}
