using System.Diagnostics;
using Zvonim.Bench.Load;
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
    private const int Candidates = 4;
    private static readonly byte[][] CandidateFrames = [.. Enumerable.Range(0, Candidates).Select(Frames.SetupCandidate)];

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
            var clock = Stopwatch.StartNew();
            var cpu = ProcessCpu.Start(server.Pid);
            load.StartRecording();
            await Task.WhenAll(workers).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            var usage = cpu.Stop();
            load.Report(seconds, usage.Server is { } cores ? cores * seconds : null, usage.Generator);
        }
        return load.Result;
    }

    /// <summary>
    /// Two servers (two builds, or one build with and without a setting) measured in the same minutes: both run, and
    /// the load goes to one at a time, swapped every <paramref name="slice"/>. The warm-up and the measured window are
    /// each a whole, even number of turns (so both servers get as many), at least two. A server has the core to itself
    /// in its turns except for the first tens of milliseconds, while the other's last setups finish; a slow or fast
    /// stretch of the machine falls on both. Driving both at once instead was tried: the one the scheduler happened to
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
                if (measured) active[i] += turn.Elapsed.TotalSeconds;
            }
        }

        try
        {
            if (settings.Warmup > TimeSpan.Zero) await AlternateAsync(settings.Warmup, measured: false).ConfigureAwait(false);
            var window = Stopwatch.StartNew();
            var cpu = loads.Select(l => ProcessCpu.Start(l.Server.Pid)).ToArray();
            foreach (var load in loads) load.StartRecording();
            await AlternateAsync(settings.Duration, measured: true).ConfigureAwait(false);
            await StopAsync().ConfigureAwait(false);
            var seconds = window.Elapsed.TotalSeconds;
            for (var i = 0; i < 2; i++)
            {
                var usage = cpu[i].Stop();
                loads[i].Report(active[i], usage.Server is { } cores ? cores * seconds : null, usage.Generator);
            }
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
    public static int EvenTurns(TimeSpan length, TimeSpan slice) => Math.Max(2, 2 * (int)Math.Round(length / slice / 2));

    /// <summary>Whose turn it is: workers wait here before each setup.</summary>
    private sealed class Turn
    {
        public static readonly Turn Always = Opened();
        private volatile TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private static Turn Opened()
        {
            var turn = new Turn();
            turn.Open();
            return turn;
        }

        public Task WaitAsync() => _open.Task;

        public void Open() => _open.TrySetResult();

        public void Close()
        {
            if (_open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>One server's workers and what they measured.</summary>
    private sealed class SetupLoad(ServerUnderTest server, ScenarioSettings settings) : IDisposable
    {
        private readonly BenchClient _client = new(server.Url, settings.SourceAddresses, settings.PeerUrl);
        private readonly LatencyHistogram _times = new();
        private readonly byte[] _offer = Frames.Offer("bnch");
        private readonly byte[] _answer = Frames.Answer("bnch");
        private long _completed, _teardownFailures, _failed, _recordedFrom = long.MaxValue;

        public ServerUnderTest Server { get; } = server;

        public RunResult Result { get; } = new("setup", server.Target);

        public Task[] Start(Turn turn, CancellationToken stop, CancellationToken ct) =>
            [.. Enumerable.Range(0, Math.Max(1, settings.Calls)).Select(_ => Task.Run(() => WorkerAsync(turn, stop, ct)))];

        /// <summary>Setups begun from now on are counted.</summary>
        public void StartRecording() => Volatile.Write(ref _recordedFrom, Stopwatch.GetTimestamp());

        public Progress ShowProgress(TextWriter? output)
        {
            long last = 0;
            return Progress.Start(output, $"setup {Server.Target}", () =>
            {
                var now = Interlocked.Read(ref _completed);
                var line = $"{now - last,6:N0} setups/s  done {now:N0}  p50 {_times.PercentileMs(0.5):F1} ms  p99 {_times.PercentileMs(0.99):F1} ms  failed {Interlocked.Read(ref _failed)}";
                last = now;
                return line;
            });
        }

        /// <param name="seconds">How long it had the load.</param>
        /// <param name="serverCpuSeconds">Its CPU time over the window; null when unknown.</param>
        public void Report(double seconds, double? serverCpuSeconds, double generatorCores)
        {
            var completed = Interlocked.Read(ref _completed);
            Result.Add("concurrency", settings.Calls, "setups")
                .Add("setups", completed, "setups")
                .Add("setups_per_s", completed / seconds, "setups/s")
                .Add("setup_p50_ms", _times.PercentileMs(0.50), "ms")
                .Add("setup_p99_ms", _times.PercentileMs(0.99), "ms")
                .Add("setup_max_ms", _times.MaxMs, "ms")
                .Add("teardown_failures", _teardownFailures, "calls");
            if (serverCpuSeconds is { } cpu)
                Result.Add("server_cpu_cores", cpu / seconds, "cores").Add("server_cpu_ms_per_setup", completed == 0 ? 0 : cpu * 1e3 / completed, "ms");
            Result.Add("generator_cpu_cores", generatorCores, "cores");
            Result.Integrity.Sent = Result.Integrity.Received = completed * (2 + 2 * Candidates);
            settings.Progress?.WriteLine($"[setup {Server.Target}] done: {completed / seconds:N0} setups/s, p99 {_times.PercentileMs(0.99)} ms, failed {_failed}");
        }

        private async Task WorkerAsync(Turn turn, CancellationToken stop, CancellationToken ct)
        {
            var integrity = Result.Integrity;
            while (!stop.IsCancellationRequested)
            {
                await turn.WaitAsync().ConfigureAwait(false);
                if (stop.IsCancellationRequested) break;
                var began = Stopwatch.GetTimestamp();
                CallPair? pair = null;
                try
                {
                    pair = await SetUpAsync(_client, _offer, _answer, ct).ConfigureAwait(false);
                    if (began >= Volatile.Read(ref _recordedFrom))
                    {
                        _times.RecordTicks(Stopwatch.GetTimestamp() - began);
                        Interlocked.Increment(ref _completed);
                    }
                }
                catch (OrderViolation ex)
                {
                    lock (integrity) integrity.Reordered++;
                    integrity.Sample(ex.Message);
                }
                catch (CorruptedMessage ex)
                {
                    lock (integrity) integrity.Corrupted++;
                    integrity.Sample(ex.Message);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failed);
                    integrity.AddFailure($"setup failed: {ex.GetType().Name}: {ex.Message}");
                    await Task.Delay(50, CancellationToken.None).ConfigureAwait(false); // do not spin on a broken server
                }
                if (pair is not null && !await TearDownAsync(pair).ConfigureAwait(false)) Interlocked.Increment(ref _teardownFailures);
            }
        }

        public void Dispose() => _client.Dispose();
    }

    private static async Task<CallPair> SetUpAsync(BenchClient client, byte[] offer, byte[] answer, CancellationToken ct)
    {
        var pair = await CallPair.ConnectAsync(client, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(30));
            var token = deadline.Token;
            await pair.A.SendAsync(offer, token).ConfigureAwait(false);
            await ExpectExactAsync(pair.B, "offer", offer, token).ConfigureAwait(false);
            await pair.B.SendAsync(answer, token).ConfigureAwait(false);
            await ExpectExactAsync(pair.A, "answer", answer, token).ConfigureAwait(false);
            await Task.WhenAll(TrickleAsync(pair.A, token), TrickleAsync(pair.B, token)).ConfigureAwait(false);
            return pair;
        }
        catch
        {
            pair.A.Dispose();
            pair.B.Dispose();
            throw;
        }
    }

    /// <summary>Sends this side's candidates and reads the other side's, checking their order and bytes.</summary>
    private static async Task TrickleAsync(BenchSocket socket, CancellationToken ct)
    {
        foreach (var candidate in CandidateFrames) await socket.SendAsync(candidate, ct).ConfigureAwait(false);
        for (var i = 0; i < Candidates; i++)
        {
            await socket.ExpectAsync("ice-candidate", ct).ConfigureAwait(false);
            var index = Frames.SetupCandidateIndex(socket.Frame);
            if (index != i) throw new OrderViolation($"candidate {index} arrived where candidate {i} was expected");
            if (!socket.Frame.SequenceEqual(CandidateFrames[i])) throw new CorruptedMessage($"candidate {i} arrived changed");
        }
    }

    private static async Task ExpectExactAsync(BenchSocket socket, string type, byte[] sent, CancellationToken ct)
    {
        await socket.ExpectAsync(type, ct).ConfigureAwait(false);
        if (!socket.Frame.SequenceEqual(sent)) throw new CorruptedMessage($"the {type} arrived changed ({socket.Length} bytes, {sent.Length} sent)");
    }

    /// <summary>A leaves; the server ends the call and closes both sockets.</summary>
    private static async Task<bool> TearDownAsync(CallPair pair)
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await pair.A.SendAsync(Frames.Leave, deadline.Token).ConfigureAwait(false);
            await Task.WhenAll(pair.A.ExpectCloseAsync(deadline.Token), pair.B.ExpectCloseAsync(deadline.Token)).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
        finally
        {
            pair.A.Dispose();
            pair.B.Dispose();
        }
    }
}

/// <summary>A relayed message whose bytes are not the ones sent.</summary>
public sealed class CorruptedMessage(string message) : Exception(message);
