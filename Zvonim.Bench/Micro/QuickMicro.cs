using System.Diagnostics;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Web.Signaling;

namespace Zvonim.Bench.Micro;

/// <summary>
/// The same paths as <see cref="HotPathBenchmarks"/> timed with a plain loop (no BenchmarkDotNet): fast enough for a
/// smoke test, and a quick look at allocations per message (GC.GetTotalAllocatedBytes over all threads).
/// </summary>
public static class QuickMicro
{
    public static async Task<List<RunResult>> RunAsync(int messages, TextWriter? progress)
    {
        var ice = Frames.IceTemplate(0);
        var results = new List<RunResult>
        {
            Measure("micro: Apiv2Dialect.Decode", messages, () => Apiv2Dialect.Instance.Decode(ice, "peer")),
        };
        IRelayPath[] paths =
        [
            new BareRelayPath(),
            await ActorRelayPath.StartAsync(realWriter: false).ConfigureAwait(false),
            await ActorRelayPath.StartAsync(realWriter: true).ConfigureAwait(false),
            await ActorRelayPath.StartAsync(realWriter: false, lane: true).ConfigureAwait(false),
            await ActorRelayPath.StartAsync(realWriter: true, lane: true).ConfigureAwait(false),
        ];
        IRelayPath[] oneAtATimePaths =
        [
            await ActorRelayPath.StartAsync(realWriter: true).ConfigureAwait(false),
            await ActorRelayPath.StartAsync(realWriter: true, lane: true).ConfigureAwait(false),
        ];
        foreach (var (path, oneAtATime) in paths.Select(p => (p, false)).Concat(oneAtATimePaths.Select(p => (p, true))))
        {
            await using (path)
            {
                var batch = oneAtATime ? 1 : Math.Min(1000, Math.Max(1, messages / 10));
                await path.RelayBatchAsync(ice, batch).ConfigureAwait(false); // warm up
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var gen0 = GC.CollectionCount(0);
                var clock = Stopwatch.StartNew();
                for (var done = 0; done < messages; done += batch) await path.RelayBatchAsync(ice, batch).ConfigureAwait(false);
                var elapsed = clock.Elapsed;
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                var result = new RunResult("micro: " + (oneAtATime ? "one at a time, " : "") + path.Name, "in-process")
                    .Add("ns_per_msg", elapsed.TotalNanoseconds / messages, "ns")
                    .Add("msgs_per_s", messages / elapsed.TotalSeconds, "msg/s")
                    .Add("bytes_per_msg", allocated / (double)messages, "B")
                    .Add("gen0_per_1k_msgs", (GC.CollectionCount(0) - gen0) * 1000.0 / messages, "GCs");
                result.Integrity.Sent = result.Integrity.Received = messages;
                results.Add(result);
                progress?.WriteLine($"[{result.Scenario}] {result.Metrics["ns_per_msg"]:N0} ns/msg, {result.Metrics["bytes_per_msg"]:N0} B/msg");
            }
        }
        // At least 200 calls: a few hundred KB, well above what the rest of the process allocates or frees meanwhile.
        var peers = Math.Clamp(messages / 100, 200, 2000);
        var footprint = await PeerFootprint.BytesPerPeerAsync(peers).ConfigureAwait(false);
        results.Add(new RunResult("micro: idle peer footprint (PeerActor + SocketConnection + ½ CallActor)", "in-process")
            .Add("bytes_per_peer", footprint, "B").Add("peers", 2 * peers, "peers"));
        progress?.WriteLine($"[micro] idle peer footprint: {footprint:N0} B per peer over {2 * peers} peers");
        var ended = await PeerFootprint.BytesPerEndedCallAsync(peers).ConfigureAwait(false);
        results.Add(new RunResult("micro: ended call kept for its retention (its record in the manager)", "in-process")
            .Add("bytes_per_ended_call", ended, "B").Add("calls", peers, "calls"));
        progress?.WriteLine($"[micro] ended call footprint: {ended:N0} B per call over {peers} calls");
        return results;
    }

    private static RunResult Measure(string name, int iterations, Action action)
    {
        for (var i = 0; i < Math.Min(iterations, 1000); i++) action();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) action();
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return new RunResult(name, "in-process")
            .Add("ns_per_msg", elapsed.TotalNanoseconds / iterations, "ns")
            .Add("bytes_per_msg", allocated / (double)iterations, "B");
    }
}
