using System.Diagnostics;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Bench.Servers;
using Zvonim.Bench.Stats;

namespace Zvonim.Bench.Scenarios;

/// <summary>One server's workers and what they measured.</summary>
internal sealed class SetupLoad(ServerUnderTest server, ScenarioSettings settings) : IDisposable
{
    private const int Candidates = 4;
    private static readonly byte[][] CandidateFrames = [.. Enumerable.Range(0, Candidates).Select(Frames.SetupCandidate)];

    private readonly BenchClient _client = new(server.Url, settings.SourceAddresses, settings.PeerUrl);
    private readonly LatencyHistogram _times = new();
    private readonly byte[] _offer = Frames.Offer("bnch");
    private readonly byte[] _answer = Frames.Answer("bnch");
    private long _completed, _outOfTurn, _teardownFailures, _failed, _recordedFrom = long.MaxValue;
    private int _inFlight; // setups begun and not yet torn down
    private Turn _turn = Turn.Always; // whose turn its workers wait for; set by Start

    public ServerUnderTest Server { get; } = server;

    public RunResult Result { get; } = new("setup", server.Target);

    public Task[] Start(Turn turn, CancellationToken stop, CancellationToken ct)
    {
        _turn = turn;
        return [.. Enumerable.Range(0, Math.Max(1, settings.Calls)).Select(_ => Task.Run(() => WorkerAsync(stop, ct)))];
    }

    /// <summary>Completes once no setup of this load is in flight (each worker waits for its turn before the next).</summary>
    public async Task WhenIdleAsync()
    {
        while (Volatile.Read(ref _inFlight) > 0) await Task.Delay(1).ConfigureAwait(false);
    }

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
    /// <param name="cpu">CPU time over the measured window (which may be longer than <paramref name="seconds"/>).</param>
    public void Report(double seconds, CpuUsage cpu)
    {
        var completed = Interlocked.Read(ref _completed);
        Result.Add("concurrency", settings.Calls, "setups")
            .Add("setups", completed, "setups")
            .Add("setups_per_s", completed / seconds, "setups/s")
            .Add("setup_p50_ms", _times.PercentileMs(0.50), "ms")
            .Add("setup_p99_ms", _times.PercentileMs(0.99), "ms")
            .Add("setup_max_ms", _times.MaxMs, "ms")
            .Add("teardown_failures", _teardownFailures, "calls");
        if (_turn != Turn.Always) Result.Add("setups_begun_out_of_turn", Interlocked.Read(ref _outOfTurn), "setups");
        if (cpu.ServerSeconds is { } server)
            Result.Add("server_cpu_cores", server / seconds, "cores").Add("server_cpu_ms_per_setup", completed == 0 ? 0 : server * 1e3 / completed, "ms");
        Result.Add("generator_cpu_cores", cpu.GeneratorCores, "cores");
        Result.Integrity.Sent = Result.Integrity.Received = completed * (2 + 2 * Candidates);
        settings.Progress?.WriteLine($"[setup {Server.Target}] done: {completed / seconds:N0} setups/s, p99 {_times.PercentileMs(0.99)} ms, failed {_failed}");
    }

    private async Task WorkerAsync(CancellationToken stop, CancellationToken ct)
    {
        var integrity = Result.Integrity;
        while (!stop.IsCancellationRequested)
        {
            await _turn.WaitAsync().ConfigureAwait(false);
            if (stop.IsCancellationRequested) break;
            var began = Stopwatch.GetTimestamp();
            // Counted in flight before the turn is read (a full fence each side, see Turn.Close): either the turn's
            // drain waits for this setup, or the setup shows as begun out of turn.
            Interlocked.Increment(ref _inFlight);
            var inTurn = _turn.IsOpen;
            try
            {
                CallPair? pair = null;
                try
                {
                    pair = await SetUpAsync(_client, _offer, _answer, ct).ConfigureAwait(false);
                    if (began >= Volatile.Read(ref _recordedFrom))
                    {
                        _times.RecordTicks(Stopwatch.GetTimestamp() - began);
                        Interlocked.Increment(ref _completed);
                        if (!inTurn) Interlocked.Increment(ref _outOfTurn);
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
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    public void Dispose() => _client.Dispose();

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
