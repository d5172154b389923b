using System.Diagnostics;

namespace Zvonim.Bench.Stats;

/// <summary>Prints a progress line once a second while a scenario runs (to stderr, so stdout keeps the table).</summary>
public sealed class Progress : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private Progress(TextWriter? output, string label, Func<string> status)
    {
        var clock = Stopwatch.StartNew();
        _loop = output is null ? Task.CompletedTask : Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                    output.WriteLine($"[{label}] {clock.Elapsed.TotalSeconds,6:F1} s  {status()}");
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public static Progress Start(TextWriter? output, string label, Func<string> status) => new(output, label, status);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
