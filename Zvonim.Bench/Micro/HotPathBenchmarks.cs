using BenchmarkDotNet.Attributes;
using Zvonim.Bench.Bare;
using Zvonim.Bench.Load;
using Zvonim.Web.Signaling;

namespace Zvonim.Bench.Micro;

/// <summary>
/// The relay hot path, frame → route → write, in process. Allocations are per relayed message (the batch benchmarks
/// relay <see cref="Batch"/> messages per invocation and report per message; MemoryDiagnoser counts every thread's
/// allocations, so the actors' and the writer's are included).
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    public const int Batch = 1000;
    private static readonly byte[][] Types = [.. new[] { "offer", "answer", "ice-candidate", "join", "leave" }.Select(System.Text.Encoding.UTF8.GetBytes)];
    private readonly byte[] _ice = Frames.IceTemplate(0);
    private ActorRelayPath? _actors;
    private ActorRelayPath? _actorsToSocket;
    private BareRelayPath? _bare;
    private ActorRelayPath? _laneToSocket;

    [GlobalSetup]
    public void Setup()
    {
        _actors = ActorRelayPath.StartAsync(realWriter: false).GetAwaiter().GetResult();
        _actorsToSocket = ActorRelayPath.StartAsync(realWriter: true).GetAwaiter().GetResult();
        _bare = new BareRelayPath();
        _laneToSocket = ActorRelayPath.StartAsync(realWriter: true, lane: true).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _actors?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _actorsToSocket?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _laneToSocket?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "FrameHeader.TryRead (ICE, 270 B)")]
    public int ReadHeader()
    {
        FrameHeader.TryRead(_ice, Types, out var header);
        return header.TypeIndex;
    }

    [Benchmark(Description = "Apiv2Dialect.Decode (ICE, 270 B)")]
    public object? Decode() => Apiv2Dialect.Instance.Decode(_ice, "peer").Message;

    [Benchmark(Description = "bare: type check → write", OperationsPerInvoke = Batch)]
    public Task BareForward() => _bare!.RelayBatchAsync(_ice, Batch);

    [Benchmark(Description = "zvonim: decode → 2 PeerActors → connection", OperationsPerInvoke = Batch)]
    public Task RelayThroughActors() => _actors!.RelayBatchAsync(_ice, Batch);

    [Benchmark(Description = "zvonim: decode → 2 PeerActors → SocketConnection → write", OperationsPerInvoke = Batch)]
    public Task RelayToSocketWriter() => _actorsToSocket!.RelayBatchAsync(_ice, Batch);

    /// <summary>As a socket delivers them under light load: the next message only after the last was written, so no
    /// hop finds work already queued (each mailbox is woken once per message).</summary>
    [Benchmark(Description = "zvonim: one at a time, decode → 2 PeerActors → SocketConnection → write")]
    public Task RelayOneAtATime() => _actorsToSocket!.RelayBatchAsync(_ice, 1);

    [Benchmark(Description = "zvonim: decode → RelayLane → SocketConnection → write", OperationsPerInvoke = Batch)]
    public Task RelayByLane() => _laneToSocket!.RelayBatchAsync(_ice, Batch);

    [Benchmark(Description = "zvonim: one at a time, decode → RelayLane → SocketConnection → write")]
    public Task RelayByLaneOneAtATime() => _laneToSocket!.RelayBatchAsync(_ice, 1);
}
