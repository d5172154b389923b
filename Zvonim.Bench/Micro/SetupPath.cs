using System.Diagnostics;
using Akka.Actor;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Bench.Micro;

/// <summary>
/// The actors' share of the <c>setup</c> scenario, in process and without sockets: what a whole apiv2 call costs
/// CallManager, CallActor and the two PeerActors. Concurrent workers each create a call (Ask), connect A (a PeerActor
/// until its state), join (Ask), connect B, relay an offer, an answer and 4 candidates each way, then A leaves and both
/// actors stop as their sockets would. Reports the process's CPU time and allocation per setup: the figure to compare
/// when a change to the actors' lifecycle is meant to make calls cheaper to set up.
/// </summary>
public static class SetupPath
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <param name="byType">Also write what the measured setups allocated by type to <paramref name="progress"/>.</param>
    public static async Task<RunResult> RunAsync(int setups, int workers, TextWriter? progress, bool byType = false)
    {
        var system = BenchActors.Create("setup");
        try
        {
            var calls = system.ActorOf(CallManager.Props(), CallManager.Name);
            var frame = Frames.IceTemplate(0);
            var ids = 0;
            await RunWorkersAsync(system, calls, frame, Math.Min(setups, 2000), workers, () => Interlocked.Increment(ref ids)).ConfigureAwait(false); // warm up
            GC.Collect();
            using var sampler = byType ? new AllocationSampler() : null;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            await RunWorkersAsync(system, calls, frame, setups, workers, () => Interlocked.Increment(ref ids)).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            var result = new RunResult($"micro: in-process setup ({workers} concurrent, actors only)", "in-process")
                .Add("setups_per_s", setups / elapsed.TotalSeconds, "setups/s")
                .Add("cpu_us_per_setup", cpuUsed.TotalMicroseconds / setups, "µs")
                .Add("bytes_per_setup", bytes / (double)setups, "B");
            result.Integrity.Sent = result.Integrity.Received = setups * 10L;
            progress?.WriteLine($"[micro] in-process setup: {result.Metrics["cpu_us_per_setup"]:N1} µs CPU, {result.Metrics["bytes_per_setup"]:N0} B per setup");
            if (sampler is not null)
            {
                foreach (var (type, sampled) in sampler.Bytes.OrderByDescending(t => t.Value).Take(40))
                    progress?.WriteLine($"[micro]   {sampled / (double)setups,8:N0} B per setup  {type}");
            }
            return result;
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    private static Task RunWorkersAsync(ActorSystem system, IActorRef calls, byte[] frame, int setups, int workers, Func<int> nextId)
    {
        var left = setups;
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref left) >= 0) await OneCallAsync(system, calls, frame, nextId).ConfigureAwait(false);
        })));
    }

    private static async Task OneCallAsync(ActorSystem system, IActorRef calls, byte[] frame, Func<int> nextId)
    {
        var policy = new CallOptions().ToPolicy();
        var created = (CallCreated)await calls.Ask<ICallReply>(new CreateCall(policy, new JoinAs(null)), Timeout).ConfigureAwait(false);
        var a = new CountingConnection(null);
        var peerA = system.ActorOf(PeerActor.Props(new AttachPeer(created.CallId, created.PeerId, Kind: CallOptions.Kind), calls, a, 256), "a" + nextId());
        await a.Admitted.WaitAsync(Timeout).ConfigureAwait(false);
        var joined = (CallJoined)await calls.Ask<ICallReply>(new JoinCall(created.CallId, Kind: CallOptions.Kind), Timeout).ConfigureAwait(false);
        var b = new CountingConnection(null);
        var peerB = system.ActorOf(PeerActor.Props(new AttachPeer(created.CallId, joined.PeerId, Kind: CallOptions.Kind), calls, b, 256), "b" + nextId());
        await b.Admitted.WaitAsync(Timeout).ConfigureAwait(false);
        await a.PeerConnected.WaitAsync(Timeout).ConfigureAwait(false);

        peerA.Tell(Signal(frame, created.PeerId!), ActorRefs.NoSender); // offer
        await b.WhenSignals(1).WaitAsync(Timeout).ConfigureAwait(false);
        peerB.Tell(Signal(frame, joined.PeerId), ActorRefs.NoSender); // answer
        await a.WhenSignals(1).WaitAsync(Timeout).ConfigureAwait(false);
        for (var i = 0; i < 4; i++)
        {
            peerA.Tell(Signal(frame, created.PeerId!), ActorRefs.NoSender);
            peerB.Tell(Signal(frame, joined.PeerId), ActorRefs.NoSender);
        }
        await Task.WhenAll(a.WhenSignals(5), b.WhenSignals(5)).WaitAsync(Timeout).ConfigureAwait(false);

        peerA.Tell(new ClientLeave(), ActorRefs.NoSender);
        await Task.WhenAll(a.Closed, b.Closed).WaitAsync(Timeout).ConfigureAwait(false);
        // What the bridge tells each actor once its socket's close is done.
        peerA.Tell(new SocketClosed("closed"), ActorRefs.NoSender);
        peerB.Tell(new SocketClosed("closed"), ActorRefs.NoSender);
    }

    private static object Signal(byte[] frame, string peerId) => Apiv2Dialect.Instance.Decode(frame, peerId).Message!;
}
