using System.Diagnostics;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Bench.Servers;
using Zvonim.Bench.Stats;

namespace Zvonim.Bench.Scenarios;

/// <summary>
/// P calls, each side sending ICE-sized messages to the other. Closed loop: each direction keeps W messages in flight
/// (a message is done when it arrives), which finds the peak rate. Open loop: a fixed total rate, each direction
/// paced on its own schedule, which gives the latency at that rate. One-way latency is from just before the sender's
/// SendAsync to the receiver's read (both in this process, same Stopwatch). Every message is checked for loss,
/// order, duplication and its bytes.
/// </summary>
public static class RelayScenario
{
    public static async Task<List<RunResult>> RunAsync(ServerUnderTest server, ScenarioSettings settings, CancellationToken ct)
    {
        using var client = new BenchClient(server.Url, settings.SourceAddresses, settings.PeerUrl);
        var results = new List<RunResult>();
        settings.Progress?.WriteLine($"[relay {server.Target}] connecting {settings.Calls} calls to {server.Describe()}");
        var pairs = server.Protocol == RelayProtocol.PeerJs
            ? await CallPair.ConnectManyAsync(settings.Calls, settings.ConnectParallelism,
                (i, token) => CallPair.ConnectPeerJsAsync(client, i, TimeSpan.FromSeconds(30), token), null, ct).ConfigureAwait(false)
            : await CallPair.ConnectManyAsync(client, settings.Calls, settings.ConnectParallelism, null, ct).ConfigureAwait(false);
        var traffic = new Traffic(pairs, server.Protocol);
        traffic.StartReaders();
        try
        {
            if (settings.Mode is "closed" or "both")
                results.Add(await RunPhaseAsync(server, traffic, settings, closedLoop: true, ct).ConfigureAwait(false));
            if (settings.Mode is "open" or "both")
                results.Add(await RunPhaseAsync(server, traffic, settings, closedLoop: false, ct).ConfigureAwait(false));
        }
        finally
        {
            await traffic.CloseAsync().ConfigureAwait(false);
        }
        return results;
    }

    private static async Task<RunResult> RunPhaseAsync(ServerUnderTest server, Traffic traffic, ScenarioSettings settings, bool closedLoop, CancellationToken ct)
    {
        var name = closedLoop ? "relay-closed" : "relay-open";
        var result = new RunResult(name, server.Target);
        var before = new Integrity();
        traffic.Fill(before);
        var latency = new LatencyHistogram();
        var lag = new LatencyHistogram();
        var streams = traffic.Streams;
        foreach (var stream in streams) stream.Window = closedLoop ? new SemaphoreSlim(settings.Window, int.MaxValue) : null;

        var total = settings.Warmup + settings.Duration;
        var start = Stopwatch.GetTimestamp();
        var stopAt = start + (long)(total.TotalSeconds * Stopwatch.Frequency);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(total);
        var perStreamRate = (double)settings.Rate / streams.Count;
        var senders = streams.Select(s => closedLoop
            ? Task.Run(() => ClosedLoopAsync(s, traffic, stop.Token))
            : Task.Run(() => OpenLoopAsync(s, traffic, perStreamRate, start, stopAt, lag, stop.Token))).ToArray();

        long lastReceived = traffic.TotalReceived;
        await using (Progress.Start(settings.Progress, $"{name} {server.Target}", () =>
        {
            var received = traffic.TotalReceived;
            var line = $"{received - lastReceived,8:N0} msg/s  sent {traffic.TotalSent - before.Sent:N0}  received {received - before.Received:N0}  " +
                $"in flight {traffic.TotalSent - received:N0}  p99 {latency.PercentileMs(0.99):F2} ms  errors {traffic.ServerErrors}  closes {traffic.UnexpectedCloses}";
            lastReceived = received;
            return line;
        }))
        {
            await Task.Delay(settings.Warmup, ct).ConfigureAwait(false);
            var receivedAtStart = traffic.TotalReceived;
            var sentAtStart = traffic.TotalSent;
            var cpu = ProcessCpu.Start(server.Pid);
            traffic.RecordInto(latency);
            try
            {
                await Task.Delay(settings.Duration, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            traffic.RecordInto(null);
            var usage = cpu.Stop();
            var seconds = usage.Seconds;
            var received = traffic.TotalReceived - receivedAtStart;
            var sent = traffic.TotalSent - sentAtStart;
            await Task.WhenAll(senders).ConfigureAwait(false);

            if (closedLoop)
            {
                result.Add("calls", traffic.Pairs.Count, "calls").Add("window", settings.Window, "msgs/direction")
                    .Add("msgs_per_s", received / seconds, "msg/s");
            }
            else
            {
                result.Add("calls", traffic.Pairs.Count, "calls").Add("target_rate", settings.Rate, "msg/s")
                    .Add("sent_rate", sent / seconds, "msg/s").Add("msgs_per_s", received / seconds, "msg/s")
                    .Add("send_lag_p99_ms", lag.PercentileMs(0.99), "ms");
            }
            result.Add("latency_p50_ms", latency.PercentileMs(0.50), "ms")
                .Add("latency_p99_ms", latency.PercentileMs(0.99), "ms")
                .Add("latency_p999_ms", latency.PercentileMs(0.999), "ms")
                .Add("latency_max_ms", latency.MaxMs, "ms")
                .Add("message_bytes", streams[0].MessageBytes, "B");
            // CPU time per message is what each side spends, whatever else runs on the machine: the least noisy figure here.
            if (usage.ServerSeconds is { } serverSeconds)
            {
                var serverCores = serverSeconds / usage.Seconds;
                result.Add("server_cpu_cores", serverCores, "cores").Add("server_cpu_us_per_msg", received == 0 ? 0 : serverSeconds * 1e6 / received, "µs")
                    // What one core of the server relays when busy: the figure to compare servers by on a shared machine,
                    // where the share of a core each one gets from the scheduler differs (node has one thread, Kestrel many).
                    .Add("msgs_per_server_core", serverSeconds == 0 ? 0 : received / serverSeconds, "msg/s");
            }
            result.Add("generator_cpu_cores", usage.GeneratorCores, "cores");
        }

        if (!await traffic.DrainAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false))
            traffic.AddFailure($"{name}: {traffic.TotalSent - traffic.TotalReceived} messages still missing 10 s after the senders stopped");
        var after = new Integrity();
        traffic.Fill(after);
        var integrity = result.Integrity;
        integrity.Sent = after.Sent - before.Sent;
        integrity.Received = after.Received - before.Received;
        integrity.Lost = after.Lost - before.Lost;
        integrity.Reordered = after.Reordered - before.Reordered;
        integrity.Duplicated = after.Duplicated - before.Duplicated;
        integrity.Corrupted = after.Corrupted - before.Corrupted;
        integrity.ServerErrors = after.ServerErrors - before.ServerErrors;
        integrity.UnexpectedCloses = after.UnexpectedCloses - before.UnexpectedCloses;
        integrity.Failures = after.Failures - before.Failures;
        foreach (var failure in after.FailureSamples.Except(before.FailureSamples)) integrity.Sample(failure);
        settings.Progress?.WriteLine($"[{name} {server.Target}] done: {result.Metrics["msgs_per_s"]:N0} msg/s, p99 {result.Metrics["latency_p99_ms"]} ms, " +
            $"sent {integrity.Sent:N0}, received {integrity.Received:N0}, lost {integrity.Lost}, reordered {integrity.Reordered}");
        return result;
    }

    private static async Task ClosedLoopAsync(RelayStream stream, Traffic traffic, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await stream.Window!.WaitAsync(stop).ConfigureAwait(false);
                // Never a token that fires mid-send: cancelling a WebSocket send aborts the socket.
                await stream.SendNextAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            traffic.AddFailure($"stream {stream.Id}: send failed: {ex.Message}");
        }
    }

    /// <summary>Sends on a fixed schedule (a random phase, then every 1/rate s). A send that is late is sent at once
    /// (the lateness is recorded as send lag); nothing is skipped.</summary>
    private static async Task OpenLoopAsync(RelayStream stream, Traffic traffic, double rate, long start, long stopAt, LatencyHistogram lag, CancellationToken stop)
    {
        var interval = Stopwatch.Frequency / rate;
        var next = start + Random.Shared.NextDouble() * interval;
        var oneMs = Stopwatch.Frequency / 1000.0;
        try
        {
            while (next < stopAt)
            {
                var ahead = next - Stopwatch.GetTimestamp();
                if (ahead > oneMs) await Task.Delay(TimeSpan.FromSeconds(ahead / Stopwatch.Frequency), stop).ConfigureAwait(false);
                var late = Stopwatch.GetTimestamp() - next;
                if (late > 0) lag.RecordTicks((long)late);
                await stream.SendNextAsync(CancellationToken.None).ConfigureAwait(false);
                next += interval;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            traffic.AddFailure($"stream {stream.Id}: send failed: {ex.Message}");
        }
    }
}
