using System.Diagnostics;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Bench.Servers;
using Zvonim.Bench.Stats;

namespace Zvonim.Bench.Scenarios;

/// <summary>
/// Holds C calls (2C sockets) connected and idle, and reads the server's own memory (/proc/&lt;pid&gt;/status) before,
/// after and while it holds them. A first tenth (at most 100 calls) is connected before the baseline, so code, pools
/// and caches warmed by the first connections are not charged to the sockets. At the end every socket sends one
/// message to its peer, which must arrive: the sockets were not only open, they still worked.
/// </summary>
public static class IdleScenario
{
    public static async Task<RunResult> RunAsync(ServerUnderTest server, ScenarioSettings settings, CancellationToken ct)
    {
        using var client = new BenchClient(server.Url, settings.SourceAddresses, settings.PeerUrl);
        var result = new RunResult("idle", server.Target);
        var clock = Stopwatch.StartNew();
        var samples = new List<MemorySample>();
        MemorySample? Sample()
        {
            if (server.Pid is not { } pid) return null;
            var sample = ProcessMemory.Read(pid, clock.Elapsed.TotalSeconds);
            if (sample is not null) lock (samples) samples.Add(sample);
            return sample;
        }

        var calls = Math.Max(1, settings.Calls);
        var warm = Math.Clamp(calls / 10, 1, 100);
        if (calls < 2) warm = 0;
        settings.Progress?.WriteLine($"[idle {server.Target}] holding {calls} calls ({2 * calls} sockets) on {server.Describe()}");
        var pairs = new List<CallPair>();
        pairs.AddRange(await CallPair.ConnectManyAsync(client, warm, settings.ConnectParallelism, null, ct).ConfigureAwait(false));
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, settings.Duration.TotalSeconds)), ct).ConfigureAwait(false);
        var baseline = Average([Sample(), await DelayThen(Sample, ct), await DelayThen(Sample, ct)]);
        var heapBaseline = server.Pid is { } basePid ? await GcProbe.ForceGcAsync(basePid, TimeSpan.FromSeconds(30)).ConfigureAwait(false) : null;

        var connected = 0;
        var connectClock = Stopwatch.StartNew();
        await using (Progress.Start(settings.Progress, $"idle {server.Target}", () =>
            $"connected {Volatile.Read(ref connected):N0}/{calls - warm:N0} calls  server {Describe(Sample())}"))
        {
            pairs.AddRange(await CallPair.ConnectManyAsync(client, calls - warm, settings.ConnectParallelism,
                n => Volatile.Write(ref connected, n), ct).ConfigureAwait(false));
        }
        var connectSeconds = connectClock.Elapsed.TotalSeconds;
        var added = 2 * (calls - warm);

        var traffic = new Traffic(pairs);
        traffic.StartReaders();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(3, settings.Duration.TotalSeconds)), ct).ConfigureAwait(false);
            var loaded = Average([Sample(), await DelayThen(Sample, ct), await DelayThen(Sample, ct)]);
            var heapLoaded = heapBaseline is not null ? await GcProbe.ForceGcAsync(server.Pid!.Value, TimeSpan.FromSeconds(30)).ConfigureAwait(false) : null;
            var afterGc = Sample();

            var holdFrom = samples.Count;
            var hold = Stopwatch.StartNew();
            await using (Progress.Start(settings.Progress, $"idle {server.Target}", () =>
                $"holding {2 * calls:N0} sockets  server {Describe(samples.LastOrDefault())}  closes {traffic.UnexpectedCloses}"))
            {
                while (hold.Elapsed < settings.Duration)
                {
                    await Task.Delay(settings.SampleInterval, ct).ConfigureAwait(false);
                    Sample();
                }
            }
            var held = samples.Skip(holdFrom).ToList();
            var heapEnd = heapBaseline is not null ? await GcProbe.ForceGcAsync(server.Pid!.Value, TimeSpan.FromSeconds(30)).ConfigureAwait(false) : null;

            // Still working: one message each way on every call.
            foreach (var stream in traffic.Streams) await stream.SendNextAsync(ct).ConfigureAwait(false);
            if (!await traffic.DrainAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
                traffic.AddFailure($"{traffic.TotalSent - traffic.TotalReceived} of the final messages did not arrive within 30 s");

            result.Add("calls", calls, "calls").Add("sockets", 2 * calls, "sockets")
                .Add("connect_rate", added / connectSeconds, "sockets/s");
            if (baseline is not null && loaded is not null && held.Count > 0 && added > 0)
            {
                var last = held[^1];
                result.Add("rss_baseline_mb", baseline.RssKb / 1024.0, "MB")
                    .Add("rss_loaded_mb", loaded.RssKb / 1024.0, "MB")
                    .Add("rss_end_mb", last.RssKb / 1024.0, "MB")
                    .Add("kb_per_socket", (loaded.RssKb - baseline.RssKb) / (double)added, "KB")
                    .Add("anon_kb_per_socket", (loaded.RssAnonKb - baseline.RssAnonKb) / (double)added, "KB")
                    .Add("kb_per_socket_end", (last.RssKb - baseline.RssKb) / (double)added, "KB")
                    .Add("hold_min_mb", held.Min(s => s.RssKb) / 1024.0, "MB")
                    .Add("hold_max_mb", held.Max(s => s.RssKb) / 1024.0, "MB")
                    .Add("drift_kb_per_min", Slope(held) * 60, "KB/min")
                    .Add("server_threads", last.Threads, "threads")
                    .Add("server_open_files", last.OpenFiles, "fds");
                if (heapBaseline is not null && heapLoaded is not null && heapEnd is not null)
                {
                    // The live managed heap after a full GC in the server: what the sockets really keep, without garbage.
                    result.Add("heap_baseline_mb", heapBaseline.LiveBytes / 1048576.0, "MB")
                        .Add("heap_loaded_mb", heapLoaded.LiveBytes / 1048576.0, "MB")
                        .Add("heap_kb_per_socket", (heapLoaded.LiveBytes - heapBaseline.LiveBytes) / 1024.0 / added, "KB")
                        .Add("heap_kb_per_socket_end", (heapEnd.LiveBytes - heapBaseline.LiveBytes) / 1024.0 / added, "KB")
                        .Add("heap_soh_kb_per_socket", (heapLoaded.Gen0Bytes + heapLoaded.Gen1Bytes + heapLoaded.Gen2Bytes - heapBaseline.Gen0Bytes - heapBaseline.Gen1Bytes - heapBaseline.Gen2Bytes) / 1024.0 / added, "KB")
                        .Add("heap_loh_kb_per_socket", (heapLoaded.LohBytes - heapBaseline.LohBytes) / 1024.0 / added, "KB")
                        .Add("heap_poh_kb_per_socket", (heapLoaded.PohBytes - heapBaseline.PohBytes) / 1024.0 / added, "KB")
                        .Add("gc_handles_per_socket", (heapLoaded.GcHandles - heapBaseline.GcHandles) / (double)added, "handles");
                    if (afterGc is not null) result.Add("rss_kb_per_socket_after_gc", (afterGc.RssKb - baseline.RssKb) / (double)added, "KB");
                }
                result.MemorySamples = samples;
                if (server.SharesProcess) result.Note = "the server runs in the generator's process: its memory figures include the generator's sockets";
            }
            else
            {
                result.Note = "server memory not measured (no pid: use --spawn, or --server-pid with --url)";
            }
            result.Add("hold_s", hold.Elapsed.TotalSeconds, "s");
        }
        finally
        {
            traffic.Fill(result.Integrity);
            settings.Progress?.WriteLine($"[idle {server.Target}] closing {2 * calls} sockets");
            await traffic.CloseAsync().ConfigureAwait(false);
        }
        return result;
    }

    private static async Task<MemorySample?> DelayThen(Func<MemorySample?> sample, CancellationToken ct)
    {
        await Task.Delay(500, ct).ConfigureAwait(false);
        return sample();
    }

    private static MemorySample? Average(MemorySample?[] samples)
    {
        var present = samples.OfType<MemorySample>().ToList();
        if (present.Count == 0) return null;
        return new MemorySample(present[^1].AtSeconds, (long)present.Average(s => s.RssKb), (long)present.Average(s => s.RssAnonKb),
            present[^1].Threads, present[^1].OpenFiles);
    }

    /// <summary>Least-squares slope of RSS over time, KB per second.</summary>
    private static double Slope(IReadOnlyList<MemorySample> samples)
    {
        if (samples.Count < 2) return 0;
        var mt = samples.Average(s => s.AtSeconds);
        var mr = samples.Average(s => (double)s.RssKb);
        var num = samples.Sum(s => (s.AtSeconds - mt) * (s.RssKb - mr));
        var den = samples.Sum(s => (s.AtSeconds - mt) * (s.AtSeconds - mt));
        return den == 0 ? 0 : num / den;
    }

    private static string Describe(MemorySample? sample) => sample is null ? "(no pid)"
        : $"rss {sample.RssKb / 1024.0:F1} MB  threads {sample.Threads}  fds {sample.OpenFiles}";
}
