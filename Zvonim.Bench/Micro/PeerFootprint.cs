using Akka.Actor;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Bench.Micro;

/// <summary>
/// The managed memory Zvonim's own objects keep for an idle, connected peer — its PeerActor and ActorCell, its
/// SocketConnection and its half of the CallActor — measured in process (GC.GetTotalMemory
/// after full collections) over many peers, with WebSockets that cost nothing. Kestrel's connection, the WebSocket and
/// the bridge's receive buffer are not in it: the bare relay's idle figure is that part.
/// </summary>
public static class PeerFootprint
{
    public static async Task<double> BytesPerPeerAsync(int calls)
    {
        var system = BenchActors.Create("footprint");
        try
        {
            var manager = system.ActorOf(CallManager.Props(), CallManager.Name);
            var timeout = TimeSpan.FromSeconds(30);
            // Warm: one call first, so that static caches and code are not charged to the peers.
            var keep = new List<object> { await ConnectAsync(system, manager, timeout).ConfigureAwait(false) };
            var before = Settle();
            for (var i = 0; i < calls; i++) keep.Add(await ConnectAsync(system, manager, timeout).ConfigureAwait(false));
            await Task.Delay(200).ConfigureAwait(false);
            var after = Settle();
            GC.KeepAlive(keep);
            return (after - before) / (2.0 * calls);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    /// <summary>The managed memory an ended call keeps while it is retained to answer about itself (its CallActor,
    /// the manager's entries for it), over many calls each created, joined and left.</summary>
    public static async Task<double> BytesPerEndedCallAsync(int calls)
    {
        var system = BenchActors.Create("ended");
        try
        {
            var manager = system.ActorOf(CallManager.Props(), CallManager.Name);
            var timeout = TimeSpan.FromSeconds(30);
            await EndAsync(manager, timeout).ConfigureAwait(false);
            var before = Settle();
            for (var i = 0; i < calls; i++) await EndAsync(manager, timeout).ConfigureAwait(false);
            var after = Settle();
            return (after - before) / (double)calls;
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    private static async Task EndAsync(IActorRef manager, TimeSpan timeout)
    {
        var created = (CallCreated)await manager.Ask<ICallReply>(new CreateCall(new CallOptions().ToPolicy(), new JoinAs(null)), timeout).ConfigureAwait(false);
        await manager.Ask<ICallReply>(new JoinCall(created.CallId, Kind: CallOptions.Kind), timeout).ConfigureAwait(false);
        await manager.Ask<ICallReply>(new LeaveCall(created.CallId, created.PeerId!, CallOptions.Kind), timeout).ConfigureAwait(false);
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<object> ConnectAsync(ActorSystem system, IActorRef manager, TimeSpan timeout)
    {
        var created = (CallCreated)await manager.Ask<ICallReply>(new CreateCall(new CallOptions().ToPolicy(), new JoinAs(null)), timeout).ConfigureAwait(false);
        var joined = (CallJoined)await manager.Ask<ICallReply>(new JoinCall(created.CallId, Kind: CallOptions.Kind), timeout).ConfigureAwait(false);
        var sockets = new List<object>();
        foreach (var peerId in new[] { created.PeerId!, joined.PeerId })
        {
            var socket = new NullWebSocket();
            var connection = new SocketConnection(socket, Apiv2Dialect.Instance, 512);
            var writer = connection.Completion;
            system.ActorOf(PeerActor.Props(new AttachPeer(created.CallId, peerId, Kind: CallOptions.Kind), manager, connection, 256), $"peer-{created.CallId}-{peerId}");
            var deadline = DateTime.UtcNow + timeout;
            while (socket.Frames == 0 && DateTime.UtcNow < deadline) await Task.Delay(1).ConfigureAwait(false); // admitted: its state was written
            sockets.Add((socket, connection, writer));
        }
        return sockets;
    }
}
