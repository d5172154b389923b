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
        using var client = new BenchClient(server.Url, settings.SourceAddresses, settings.PeerUrl);
        var result = new RunResult("setup", server.Target);
        var integrity = result.Integrity;
        var times = new LatencyHistogram();
        var offer = Frames.Offer("bnch");
        var answer = Frames.Answer("bnch");
        long completed = 0, teardownFailures = 0, failed = 0;
        long recordedFrom = long.MaxValue;

        var total = settings.Warmup + settings.Duration;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(total);
        settings.Progress?.WriteLine($"[setup {server.Target}] {settings.Calls} concurrent setups against {server.Describe()}");

        async Task WorkerAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var began = Stopwatch.GetTimestamp();
                CallPair? pair = null;
                try
                {
                    pair = await SetUpAsync(client, offer, answer, ct).ConfigureAwait(false);
                    var took = Stopwatch.GetTimestamp() - began;
                    if (began >= Volatile.Read(ref recordedFrom))
                    {
                        times.RecordTicks(took);
                        Interlocked.Increment(ref completed);
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
                    Interlocked.Increment(ref failed);
                    integrity.AddFailure($"setup failed: {ex.GetType().Name}: {ex.Message}");
                    await Task.Delay(50, CancellationToken.None).ConfigureAwait(false); // do not spin on a broken server
                }
                if (pair is not null && !await TearDownAsync(pair).ConfigureAwait(false)) Interlocked.Increment(ref teardownFailures);
            }
        }

        long lastCompleted = 0;
        await using (Progress.Start(settings.Progress, $"setup {server.Target}", () =>
        {
            var now = Interlocked.Read(ref completed);
            var line = $"{now - lastCompleted,6:N0} setups/s  done {now:N0}  p50 {times.PercentileMs(0.5):F1} ms  p99 {times.PercentileMs(0.99):F1} ms  failed {Interlocked.Read(ref failed)}";
            lastCompleted = now;
            return line;
        }))
        {
            var workers = Enumerable.Range(0, Math.Max(1, settings.Calls)).Select(_ => Task.Run(WorkerAsync)).ToArray();
            await Task.Delay(settings.Warmup, ct).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            var cpu = ProcessCpu.Start(server.Pid);
            Volatile.Write(ref recordedFrom, Stopwatch.GetTimestamp());
            await Task.WhenAll(workers).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;

            result.Add("concurrency", settings.Calls, "setups")
                .Add("setups", completed, "setups")
                .Add("setups_per_s", completed / seconds, "setups/s")
                .Add("setup_p50_ms", times.PercentileMs(0.50), "ms")
                .Add("setup_p99_ms", times.PercentileMs(0.99), "ms")
                .Add("setup_max_ms", times.MaxMs, "ms")
                .Add("teardown_failures", teardownFailures, "calls");
            var usage = cpu.Stop();
            if (usage.Server is { } serverCores)
                result.Add("server_cpu_cores", serverCores, "cores").Add("server_cpu_ms_per_setup", completed == 0 ? 0 : serverCores * seconds * 1e3 / completed, "ms");
            result.Add("generator_cpu_cores", usage.Generator, "cores");
        }
        integrity.Sent = integrity.Received = completed * (2 + 2 * Candidates);
        settings.Progress?.WriteLine($"[setup {server.Target}] done: {result.Metrics["setups_per_s"]:N0} setups/s, p99 {result.Metrics["setup_p99_ms"]} ms, failed {failed}");
        return result;
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
