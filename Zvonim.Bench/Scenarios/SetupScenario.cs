using System.Diagnostics;
using Zvonim.Bench.Results;
using Zvonim.Bench.Servers;
using Zvonim.Bench.Stats;

namespace Zvonim.Bench.Scenarios;

/// <summary>
/// Full call setups, <see cref="ScenarioSettings.Calls"/> at a time: create, A's socket (until its state), join, B's
/// socket (until its state), A hears B join, offer A→B, answer B→A, 4 ICE candidates each way. The setup time runs
/// from the create request to the last candidate's arrival. Then A leaves and both sockets are closed by the server
/// (not timed, but it occupies the worker, so setups/s is a sustained rate of whole call lifecycles).
/// </summary>
public static class SetupScenario
{
    public static async Task<RunResult> RunAsync(ServerUnderTest server, ScenarioSettings settings, CancellationToken ct)
    {
        using var load = new SetupLoad(server, settings);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(settings.Warmup + settings.Duration);
        settings.Progress?.WriteLine($"[setup {server.Target}] {settings.Calls} concurrent setups against {server.Describe()}");
        await using (load.ShowProgress(settings.Progress))
        {
            var workers = load.Start(Turn.Always, stop.Token, ct);
            await Task.Delay(settings.Warmup, ct).ConfigureAwait(false);
            var cpu = ProcessCpu.Start(server.Pid);
            load.StartRecording();
            await Task.WhenAll(workers).ConfigureAwait(false);
            var usage = cpu.Stop();
            load.Report(usage.Seconds, usage);
        }
        return load.Result;
    }

    /// <summary>
    /// Two servers (two builds, or one build with and without a setting) measured in the same minutes: both run, and
    /// the load goes to one at a time, swapped every <paramref name="slice"/>. The warm-up and the measured window are
    /// each a whole, even number of turns (so both servers get as many), at least two. A turn ends once the setups
    /// begun in it are over (torn down), and that drain counts in its server's time: the slower server's last setups no
    /// longer run into the other's turn. What a server leaves for later (timers, collections, the store's writes) may
    /// still fall in the other's turn; stopping the idle server (SIGSTOP) to keep that out was tried and dropped: both
    /// builds came out 16–40 % dearer per setup, frozen and woken every five seconds. A slow or fast stretch of the
    /// machine falls on both. Driving both at once instead was tried: the one the scheduler happened to
    /// favour got more of the core, did more per wake-up and came out cheaper per setup, 2–6 % either way between two
    /// copies of one build.
    /// </summary>
    /// <returns>Each server's figures: setups/s and server cores over its own turns; CPU per setup over the whole
    /// window (what it spends idle in the other's turns included).</returns>
    public static async Task<RunResult[]> RunAlternatingAsync(ServerUnderTest first, ServerUnderTest second, ScenarioSettings settings, TimeSpan slice,
        CancellationToken ct)
    {
        using var a = new SetupLoad(first, settings);
        using var b = new SetupLoad(second, settings);
        SetupLoad[] loads = [a, b];
        var turns = new[] { new Turn(), new Turn() };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        settings.Progress?.WriteLine($"[setup] {settings.Calls} concurrent setups, alternating every {slice.TotalSeconds:0.#} s between " +
            $"{first.Describe()} and {second.Describe()}");
        await using var progressA = a.ShowProgress(settings.Progress);
        await using var progressB = b.ShowProgress(settings.Progress);
        var workers = loads.SelectMany((load, i) => load.Start(turns[i], stop.Token, ct)).ToArray();

        var active = new double[2];
        async Task AlternateAsync(TimeSpan length, bool measured)
        {
            for (var n = 0; n < EvenTurns(length, slice); n++)
            {
                var i = n % 2;
                var turn = Stopwatch.StartNew();
                turns[i].Open();
                await Task.Delay(slice, ct).ConfigureAwait(false);
                turns[i].Close();
                await loads[i].WhenIdleAsync().WaitAsync(ct).ConfigureAwait(false);
                if (measured) active[i] += turn.Elapsed.TotalSeconds;
            }
        }

        try
        {
            if (settings.Warmup > TimeSpan.Zero) await AlternateAsync(settings.Warmup, measured: false).ConfigureAwait(false);
            var cpu = loads.Select(l => ProcessCpu.Start(l.Server.Pid)).ToArray();
            foreach (var load in loads) load.StartRecording();
            await AlternateAsync(settings.Duration, measured: true).ConfigureAwait(false);
            var usage = cpu.Select(c => c.Stop()).ToArray();
            await StopAsync().ConfigureAwait(false);
            for (var i = 0; i < 2; i++) loads[i].Report(active[i], usage[i]);
            return [a.Result, b.Result];
        }
        finally
        {
            await StopAsync().ConfigureAwait(false); // a cancelled run must not leave workers waiting for a turn
        }

        async Task StopAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var turn in turns) turn.Open(); // let the waiting workers see the stop
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
    }

    /// <summary>Turns of <paramref name="slice"/> in <paramref name="length"/>, rounded to an even number, at least two.</summary>
    private static int EvenTurns(TimeSpan length, TimeSpan slice) => Math.Max(2, 2 * (int)Math.Round(length / slice / 2));
}

/// <summary>A relayed message whose bytes are not the ones sent.</summary>
public sealed class CorruptedMessage(string message) : Exception(message);
