using System.Diagnostics;
using System.Globalization;
using System.Net;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Bench.Servers;
using Zvonim.Bench.Stats;
using Zvonim.Media.Dtls;
using Zvonim.Media.Sdp;
using Zvonim.Media.Sfu;
using Zvonim.Media.Srtp;

namespace Zvonim.Bench.Sfu;

/// <summary>What <c>zvonim-bench sfu</c> is told.</summary>
public sealed record SfuSettings
{
    public int Subscribers { get; init; } = 10;

    /// <summary>Packets per second the publisher offers; 0: as fast as its thread can send (max mode).</summary>
    public int Rate { get; init; } = 20_000;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Measured seconds of the loopback baseline (no forwarder); zero: none.</summary>
    public TimeSpan Baseline { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>"vp8" (1000–1200-byte payloads, 10 packets a frame) or "opus" (100 bytes).</summary>
    public string Codec { get; init; } = "vp8";

    /// <summary>"gcm" (offers AEAD_AES_128_GCM, then AES128_CM_HMAC_SHA1_80, as Chromium) or "cm" (only the latter).</summary>
    public string Srtp { get; init; } = "gcm";

    /// <summary>The packet thread alone on one core, the load peers on the other: the forwarder's figures without the
    /// bench's own receive threads (one per subscriber) preempting it, as browsers on other machines would not.</summary>
    public bool Pin { get; init; }

    /// <summary>Also run the floor (<see cref="UdpFloor"/>): the same load through a thread that only passes datagrams on.</summary>
    public bool Floor { get; init; }

    public TextWriter? Progress { get; init; }
}

/// <summary>
/// One publisher and N subscribers, all load peers of this process (<see cref="SfuLoadPeer"/>), connected straight to
/// a <see cref="MediaEngine"/> in this process over UDP on loopback (no signalling, no SDP). The publisher sends at a
/// fixed rate (open loop) or as fast as it can; each subscriber decrypts what it is forwarded and checks it. Reported:
/// packets forwarded per second, the engine's packet thread CPU ("zvonim-media", read from /proc) and so packets per
/// second per core of it, one-way latency next to the same path without the forwarder (the "bare" run: the load client
/// sending to itself over loopback), loss, order, duplicates. Latency is from the publisher's send to the kernel's
/// receive stamp of the copy (<see cref="ArrivalClock"/>: taken as the forwarder hands it to loopback), and to the
/// subscriber's read ("read_latency", which adds the receiving side: softirq, socket queue, the load client's threads).
/// When loopback's receive processing is steered to another core (<c>rps_cpus</c> of <c>lo</c>, as
/// <c>scripts/sfu-netns.sh</c> sets it in a network namespace of its own), the packet thread no longer pays for
/// delivering its copies into the receivers' sockets, which on a real network the receivers' machines do.
/// </summary>
public static class SfuScenario
{
    private const uint PublisherSsrc = 0x5EED0001;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static async Task<List<RunResult>> RunAsync(SfuSettings settings, CancellationToken ct)
    {
        using var pinned = settings.Pin ? CorePinning.PinGenerator() : null;
        var results = new List<RunResult>();
        if (settings.Baseline > TimeSpan.Zero) results.Add(await RunBaselineAsync(settings, ct).ConfigureAwait(false));
        var floor = settings.Floor ? await RunFloorAsync(settings, ct).ConfigureAwait(false) : null;
        var forwarder = await RunForwarderAsync(settings, ct).ConfigureAwait(false);
        if (floor is not null) results.Add(floor); // the report compares every figure of the forwarder's with it
        if (results.Count > 0)
        {
            // Percentiles do not subtract exactly; this is the forwarder's share at each rank, against the same path without it.
            var bare = results[0].Metrics;
            foreach (var rank in new[] { "p50", "p99", "p999" })
                forwarder.Add($"added_latency_{rank}_ms", forwarder.Metrics[$"latency_{rank}_ms"] - bare[$"latency_{rank}_ms"], "ms");
            foreach (var rank in new[] { "p50", "p99" })
                forwarder.Add($"added_read_latency_{rank}_ms", forwarder.Metrics[$"read_latency_{rank}_ms"] - bare[$"read_latency_{rank}_ms"], "ms");
        }
        results.Add(forwarder);
        return results;
    }

    private sealed record Media(byte PublisherPt, byte SubscriberPt, MediaKind Kind, Codec Codec, int MinPayload, int MaxPayload, int FrameEvery, uint TimestampStep);

    private static Media MediaOf(SfuSettings settings) => settings.Codec == "opus"
        ? new Media(111, 109, MediaKind.Audio, new Codec(111, "opus", 48000, 2), 100, 100, 0, 960)
        : new Media(96, 102, MediaKind.Video, new Codec(96, "VP8", 90000), 1000, 1200, 10, 3000);

    /// <summary>The SRTP profile the load peers keyed among themselves use (no handshake to choose it).</summary>
    private static SrtpProfile SrtpProfileOf(SfuSettings settings) =>
        settings.Srtp == "cm" ? SrtpProfile.AesCm128HmacSha1_80 : SrtpProfile.AeadAes128Gcm;

    private static int[] Profiles(SfuSettings settings) => settings.Srtp == "cm"
        ? [DtlsSrtpProfile.AesCm128HmacSha1_80]
        : [DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.AesCm128HmacSha1_80];

    /// <summary>The same sender, packets and receiver code, the receiver's socket as the destination: what loopback,
    /// SRTP and this process's threads cost on their own.</summary>
    private static async Task<RunResult> RunBaselineAsync(SfuSettings settings, CancellationToken ct)
    {
        var media = MediaOf(settings);
        var profile = SrtpProfileOf(settings);
        var (sender, receiver) = SfuLoadPeer.DirectPair(profile);
        using var senderScope = sender;
        using var receiverScope = receiver;
        var stats = new ReceiveStats();
        receiver.StartReceiving(PublisherSsrc, media.PublisherPt, stats);
        var warmup = TimeSpan.FromTicks(Math.Min(settings.Warmup.Ticks, TimeSpan.FromSeconds(1).Ticks));
        var window = await MeasureAsync("sfu bare", settings, media, sender, media.PublisherPt, [stats], null, null, null, warmup, settings.Baseline, ct).ConfigureAwait(false);
        await DrainAsync([stats], sender.Sent).ConfigureAwait(false);

        var result = new RunResult("sfu", "bare")
        {
            Note = "the load client sending to itself over loopback (same packets, SRTP both ends, one receiver), no forwarder",
        };
        result.Add("subscribers", 1, "peers");
        AddCommon(result, settings, media, window, [stats], sender.Sent, fanOut: 1);
        return result;
    }

    private static async Task<RunResult> RunForwarderAsync(SfuSettings settings, CancellationToken ct)
    {
        var media = MediaOf(settings);
        var before = ThreadCpu.Find("zvonim-media");
        using var engine = new MediaEngine(new MediaEngineOptions(0, [IPAddress.Loopback], Patience));
        var tid = ThreadCpu.FindNew("zvonim-media", before);
        if (settings.Pin)
        {
            if (tid is not { } packetThread) throw new BenchFailure("--pin: the forwarder's packet thread was not found in /proc/self/task.");
            CorePinning.PinThread(packetThread, CorePinning.ServerCore);
        }
        var server = new IPEndPoint(IPAddress.Loopback, engine.Port);
        var peers = new List<(SfuLoadPeer Load, MediaPeer Server, Listener Listener)>();
        try
        {
            settings.Progress?.WriteLine($"[sfu] engine on 127.0.0.1:{engine.Port}, packet thread tid {tid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}; connecting 1 publisher and {settings.Subscribers} subscribers");
            for (var i = 0; i <= settings.Subscribers; i++)
            {
                var label = i == 0 ? "publisher" : $"subscriber {i}";
                var listener = new Listener();
                var load = SfuLoadPeer.Open(label, server);
                peers.Add((load, engine.CreatePeer(label, listener), listener));
            }
            var setup = Stopwatch.StartNew();
            using (var gate = new SemaphoreSlim(8))
            {
                await Task.WhenAll(peers.Select(p => Task.Run(async () =>
                {
                    await gate.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        var identity = ClientIdentity.Create();
                        p.Server.Connect(identity.Fingerprint, p.Load.Ufrag);
                        p.Load.ConnectIce(p.Server.Ice.Ufrag, p.Server.Ice.Pwd, Patience);
                        p.Load.Handshake(identity, Profiles(settings), engine.Certificate.Fingerprint, Patience);
                        await p.Listener.Connected.Task.WaitAsync(Patience, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, ct))).ConfigureAwait(false);
            }
            settings.Progress?.WriteLine($"[sfu] {peers.Count} peers connected in {setup.Elapsed.TotalSeconds:F1} s ({peers[0].Listener.Description})");

            var publisher = peers[0];
            var track = new PublishedTrack(publisher.Server, PublisherSsrc, media.Kind, media.Codec, "stream", "track");
            publisher.Server.Publish(track);
            publisher.Load.StartDraining();
            var stats = new List<ReceiveStats>();
            for (var i = 1; i < peers.Count; i++)
            {
                var outSsrc = 0x0B000000u + (uint)i;
                var receive = new ReceiveStats();
                stats.Add(receive);
                peers[i].Load.StartReceiving(outSsrc, media.SubscriberPt, receive);
                peers[i].Server.Receive(track, outSsrc, media.SubscriberPt);
            }
            await Task.Delay(50, ct).ConfigureAwait(false);

            var subscriberPeers = peers.Skip(1).Select(p => p.Server).ToList();
            var window = await MeasureAsync("sfu zvonim", settings, media, publisher.Load, media.PublisherPt, stats, tid,
                () => Volatile.Read(ref publisher.Server.PacketsIn), () => subscriberPeers.Sum(p => Volatile.Read(ref p.PacketsOut)),
                settings.Warmup, settings.Duration, ct).ConfigureAwait(false);
            await DrainAsync(stats, publisher.Load.Sent).ConfigureAwait(false);

            var result = new RunResult("sfu", "zvonim");
            result.Add("subscribers", settings.Subscribers, "peers");
            AddCommon(result, settings, media, window, stats, publisher.Load.Sent, settings.Subscribers);
            AddPacketThread(result, settings, window, "zvonim-media");
            result.Add("engine_dropped", engine.Dropped, "pkts")
                .Add("kernel_arrival_stamps", peers.Skip(1).All(p => p.Load.StampsArrivals) ? 1 : 0, "bool")
                .Add("loopback_rps_cpus", LoopbackSteering(), "mask")
                .Add("cpu_wakeup_limit_us", CpuWakeupLimit(), "µs");
            if (engine.Dropped > 0) result.Integrity.AddFailure($"the engine dropped {engine.Dropped} packets or changes that failed");
            return result;
        }
        finally
        {
            foreach (var (_, serverPeer, _) in peers) serverPeer.Dispose();
            foreach (var (load, _, _) in peers) load.Dispose();
        }
    }

    /// <summary>The same publisher, packets and subscribers through <see cref="UdpFloor"/>: what the kernel and the
    /// batching cost per copy with none of the forwarder's own work. They share one set of SRTP keys, since the floor
    /// passes packets on as they came.</summary>
    private static async Task<RunResult> RunFloorAsync(SfuSettings settings, CancellationToken ct)
    {
        var media = MediaOf(settings);
        var profile = SrtpProfileOf(settings);
        using var floor = new UdpFloor();
        if (settings.Pin)
        {
            if (floor.ThreadId is not { } packetThread) throw new BenchFailure("--pin: the floor's packet thread was not found in /proc/self/task.");
            CorePinning.PinThread(packetThread, CorePinning.ServerCore);
        }
        var (sender, receivers) = SfuLoadPeer.ThroughRelay(profile, floor.EndPoint, settings.Subscribers);
        try
        {
            floor.ForwardTo(receivers.Select(r => r.LocalEndPoint));
            var stats = receivers.Select(_ => new ReceiveStats()).ToList();
            for (var i = 0; i < receivers.Length; i++) receivers[i].StartReceiving(PublisherSsrc, media.PublisherPt, stats[i]);
            var window = await MeasureAsync("sfu floor", settings, media, sender, media.PublisherPt, stats, floor.ThreadId,
                () => floor.In, () => floor.Out, settings.Warmup, settings.Duration, ct).ConfigureAwait(false);
            await DrainAsync(stats, sender.Sent).ConfigureAwait(false);
            var result = new RunResult("sfu", "floor")
            {
                Note = "datagrams passed on as they came by one thread (recvmmsg, sendmmsg), no ICE, SRTP or RTP work: the kernel's share",
            };
            result.Add("subscribers", settings.Subscribers, "peers");
            AddCommon(result, settings, media, window, stats, sender.Sent, settings.Subscribers);
            AddPacketThread(result, settings, window, UdpFloor.ThreadName);
            return result;
        }
        finally
        {
            sender.Dispose();
            foreach (var receiver in receivers) receiver.Dispose();
        }
    }

    /// <summary>What went through the packet thread, and its CPU per packet.</summary>
    private static void AddPacketThread(RunResult result, SfuSettings settings, Window window, string threadName)
    {
        var seconds = window.Seconds;
        result.Add("engine_in_per_s", window.EngineIn / seconds, "pkt/s")
            .Add("forwarded_per_s", window.EngineOut / seconds, "pkt/s");
        if (window.ThreadCpu is { } threadCpu)
        {
            var cores = threadCpu.TotalSeconds / seconds;
            result.Add("media_thread_cores", cores, "cores")
                .Add("forwarded_per_core_s", cores == 0 ? 0 : window.EngineOut / threadCpu.TotalSeconds, "pkt/s/core")
                .Add("media_thread_us_per_forwarded", window.EngineOut == 0 ? 0 : threadCpu.TotalMicroseconds / window.EngineOut, "µs")
                .Add("media_thread_cores_per_subscriber", cores / Math.Max(1, settings.Subscribers), "cores")
                .Add("generator_cpu_cores", (window.ProcessCpu - threadCpu).TotalSeconds / seconds, "cores");
        }
        else
        {
            result.Add("process_cpu_cores", window.ProcessCpu.TotalSeconds / seconds, "cores");
            result.Note = $"the packet thread's CPU could not be read (no /proc, or several {threadName} threads in this process)";
        }
    }

    /// <summary>The CPUs loopback's receive work is steered to (RPS, a bit per CPU), 0 when it is done by the sender;
    /// -1 where it cannot be read.</summary>
    private static int LoopbackSteering()
    {
        try
        {
            return int.Parse(File.ReadAllText("/sys/class/net/lo/queues/rx-0/rps_cpus").Trim().Replace(",", "", StringComparison.Ordinal),
                NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return -1;
        }
    }

    /// <summary>The PM QoS limit on how long a core may take to wake (<c>/dev/cpu_dma_latency</c>, root only): 0 keeps
    /// idle cores polling instead of halting, as tuned's latency-performance profile does; very large when nobody asked;
    /// -1 where it cannot be read.</summary>
    private static long CpuWakeupLimit()
    {
        try
        {
            using var device = File.OpenRead("/dev/cpu_dma_latency");
            Span<byte> value = stackalloc byte[4];
            device.ReadExactly(value);
            return BitConverter.ToInt32(value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EndOfStreamException)
        {
            return -1;
        }
    }

    private sealed record Window(double Seconds, long Sent, long Received, long EngineIn, long EngineOut, TimeSpan? ThreadCpu, TimeSpan ProcessCpu,
        SfuHistogram Latency, SfuHistogram ReadLatency, int Collections, TimeSpan GcPauses);

    /// <summary>Runs the publisher on a thread of its own for warm-up + duration and measures the second part.</summary>
    private static async Task<Window> MeasureAsync(string label, SfuSettings settings, Media media, SfuLoadPeer sender, byte payloadType,
        IReadOnlyList<ReceiveStats> stats, int? tid, Func<long>? forwardedIn, Func<long>? forwardedOut, TimeSpan warmup, TimeSpan duration,
        CancellationToken ct)
    {
        var stop = false;
        var rate = settings.Rate;
        var publisher = new Thread(() =>
        {
            var random = new Random(1);
            var start = Stopwatch.GetTimestamp();
            long index = 0;
            while (!Volatile.Read(ref stop))
            {
                if (rate > 0)
                {
                    var due = (long)((Stopwatch.GetTimestamp() - start) * (double)rate / Stopwatch.Frequency) + 1;
                    if (index >= due)
                    {
                        FineSleep.Sleep(TimeSpan.FromSeconds((double)(index + 1 - due) / rate));
                        continue;
                    }
                }
                var size = media.MinPayload == media.MaxPayload ? media.MinPayload : random.Next(media.MinPayload, media.MaxPayload + 1);
                sender.SendNext(PublisherSsrc, payloadType, size, index++, media.FrameEvery, media.TimestampStep);
            }
        }) { IsBackground = true, Name = "sfu-publisher" };
        publisher.Start();

        long Received() => stats.Sum(s => s.Received);
        long Out() => forwardedOut?.Invoke() ?? 0;
        var lastReceived = Received();
        try
        {
            await using (Progress.Start(settings.Progress, label, () =>
            {
                var received = Received();
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{received - lastReceived,9:N0} pkt/s received  sent {sender.Sent:N0}  received {received:N0}  forwarded {Out():N0}  packet thread {ThreadCpu.Read(tid)?.TotalSeconds ?? 0:F1} s CPU");
                lastReceived = received;
                return line;
            }))
            {
                await Task.Delay(warmup, ct).ConfigureAwait(false);
                var start = Snapshot();
                foreach (var s in stats) s.Recording = true;
                await Task.Delay(duration, ct).ConfigureAwait(false);
                var end = Snapshot();
                foreach (var s in stats) s.Recording = false;
                var latency = new SfuHistogram();
                var readLatency = new SfuHistogram();
                foreach (var s in stats)
                {
                    latency.Merge(s.Latency);
                    readLatency.Merge(s.ReadLatency);
                }
                return new Window(Stopwatch.GetElapsedTime(start.Ticks, end.Ticks).TotalSeconds, end.Sent - start.Sent, end.Received - start.Received,
                    end.In - start.In, end.Out - start.Out, end.Thread - start.Thread, end.Process - start.Process, latency, readLatency,
                    end.Collections - start.Collections, end.Paused - start.Paused);
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            publisher.Join();
        }

        (long Ticks, long Sent, long Received, long In, long Out, TimeSpan? Thread, TimeSpan Process, int Collections, TimeSpan Paused) Snapshot()
        {
            using var process = Process.GetCurrentProcess();
            return (Stopwatch.GetTimestamp(), sender.Sent, Received(), forwardedIn?.Invoke() ?? 0, Out(),
                ThreadCpu.Read(tid), process.TotalProcessorTime, GC.CollectionCount(0), GC.GetTotalPauseDuration());
        }
    }

    /// <summary>Waits until every receiver has everything sent, or nothing has arrived for half a second.</summary>
    private static async Task DrainAsync(IReadOnlyList<ReceiveStats> stats, long sent)
    {
        var last = -1L;
        var quiet = Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromMilliseconds(500))
        {
            var received = stats.Sum(s => s.Received);
            if (received == sent * stats.Count) return;
            if (received != last)
            {
                last = received;
                quiet.Restart();
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private static void AddCommon(RunResult result, SfuSettings settings, Media media, Window window, IReadOnlyList<ReceiveStats> stats, long sent, int fanOut)
    {
        var seconds = window.Seconds;
        result.Add("offered_rate", settings.Rate, "pkt/s")
            .Add("sent_per_s", window.Sent / seconds, "pkt/s")
            .Add("received_per_s", window.Received / seconds, "pkt/s")
            .Add("payload_bytes", (media.MinPayload + media.MaxPayload) / 2.0, "B")
            .Add("latency_p50_ms", window.Latency.PercentileMs(0.50), "ms")
            .Add("latency_p99_ms", window.Latency.PercentileMs(0.99), "ms")
            .Add("latency_p999_ms", window.Latency.PercentileMs(0.999), "ms")
            .Add("latency_max_ms", window.Latency.MaxMs, "ms")
            .Add("read_latency_p50_ms", window.ReadLatency.PercentileMs(0.50), "ms")
            .Add("read_latency_p99_ms", window.ReadLatency.PercentileMs(0.99), "ms")
            // Every thread of the process waits out a collection, the packet thread too: a pause is a latency spike.
            .Add("gc_collections", window.Collections, "gcs")
            .Add("gc_pause_ms", window.GcPauses.TotalMilliseconds, "ms");
        var expected = sent * fanOut;
        var received = stats.Sum(s => s.Received);
        result.Add("loss_pct", expected == 0 ? 0 : 100.0 * (expected - received) / expected, "%");
        var integrity = result.Integrity;
        integrity.Sent = expected;
        integrity.Received = received;
        integrity.Lost = Math.Max(0, expected - received);
        integrity.Reordered = stats.Sum(s => s.Reordered);
        integrity.Duplicated = stats.Sum(s => s.Duplicated);
        integrity.Corrupted = stats.Sum(s => s.Corrupted);
        foreach (var (s, i) in stats.Select((s, i) => (s, i)))
        {
            if (s.Received == 0) integrity.AddFailure($"subscriber {i + 1} received nothing");
            if (s.FirstProblem is { } problem) integrity.Sample($"subscriber {i + 1}: {problem}");
        }
        var perSubscriber = stats.Select(s => s.Received).ToList();
        result.Add("min_received_per_subscriber", perSubscriber.Count == 0 ? 0 : perSubscriber.Min(), "pkts");
        settings.Progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[sfu {result.Target}] done: sent {sent:N0}, received {received:N0} of {expected:N0}, p50 {result.Metrics["latency_p50_ms"]} ms, p99 {result.Metrics["latency_p99_ms"]} ms"));
    }

    /// <summary>The engine's word on one peer: connected (and with what) or failed.</summary>
    private sealed class Listener : IMediaPeerListener
    {
        public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Description { get; private set; } = "";

        void IMediaPeerListener.Connected(string cipherSuite, string srtpProfile)
        {
            Description = $"{cipherSuite}, {srtpProfile}";
            Connected.TrySetResult();
        }

        public void Failed(string reason) => Connected.TrySetException(new BenchFailure($"the engine's side failed: {reason}"));

        public void Inactive()
        {
        }
    }
}
