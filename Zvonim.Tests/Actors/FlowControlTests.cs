using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Peers;

namespace Zvonim.Tests.Actors;

/// <summary>
/// Backpressure between peers: when a socket cannot take more, whoever sends to it stops being read (so TCP slows that
/// client) until it drains, leaves or drops — never longer.
/// </summary>
public sealed class FlowControlTests(ITestOutputHelper output) : CallSimulationBase(output)
{
    private (Socket A, Socket B) ConnectedPair()
    {
        var call = Create();
        var joined = Join(call.CallId);
        var a = Connect(call.CallId, call.PeerId!);
        var b = Connect(call.CallId, joined.PeerId);
        a.Expect<PeerConnectedEvent>();
        return (a, b);
    }

    [Fact]
    public void A_congested_socket_pauses_the_other_side_until_it_drains()
    {
        var (a, b) = ConnectedPair();
        b.Peer.Tell(new SocketCongestion(true), ActorRefs.NoSender);
        a.Expect<ProbeConnection.ReadingPaused>(p => p.Paused);

        b.Peer.Tell(new SocketCongestion(false), ActorRefs.NoSender);
        a.Expect<ProbeConnection.ReadingPaused>(p => !p.Paused);
        // The congested one itself is never paused: it is the one that must be read out.
        Assert.Null(TryFish<ProbeConnection.ReadingPaused>(b));
    }

    [Fact]
    public void A_congested_peer_that_drops_or_leaves_no_longer_holds_the_other_back()
    {
        var (a, b) = ConnectedPair();
        b.Peer.Tell(new SocketCongestion(true), ActorRefs.NoSender);
        a.Expect<ProbeConnection.ReadingPaused>(p => p.Paused);
        b.Drop();
        a.Expect<ProbeConnection.ReadingPaused>(p => !p.Paused);
    }

    [Fact]
    public void A_congested_socket_replaced_by_a_newer_one_no_longer_holds_the_other_back()
    {
        var call = Create();
        var joined = Join(call.CallId);
        var a = Connect(call.CallId, call.PeerId!);
        var b = Connect(call.CallId, joined.PeerId);
        a.Expect<PeerConnectedEvent>();
        b.Peer.Tell(new SocketCongestion(true), ActorRefs.NoSender);
        a.Expect<ProbeConnection.ReadingPaused>(p => p.Paused);

        Connect(call.CallId, joined.PeerId); // a reload: the old socket is superseded and never drains
        a.Expect<ProbeConnection.ReadingPaused>(p => !p.Paused);
    }

    [Fact]
    public void Frames_relayed_while_paused_are_all_delivered_in_order()
    {
        var (a, b) = ConnectedPair();
        b.Peer.Tell(new SocketCongestion(true), ActorRefs.NoSender);
        a.Expect<ProbeConnection.ReadingPaused>(p => p.Paused);
        // Frames already read before the pause took effect still go through: pausing never drops anything.
        for (var i = 0; i < 20; i++) a.Say(new ClientSignal(SignalKind.IceCandidate, null, [(byte)i]));
        for (var i = 0; i < 20; i++) Assert.Equal((byte)i, b.Expect<SignalEvent>().Frame[0]);
    }

    [Fact]
    public void A_peer_congested_before_the_other_arrives_pauses_it_on_arrival()
    {
        var call = Create();
        var joined = Join(call.CallId);
        var a = Connect(call.CallId, call.PeerId!);
        a.Peer.Tell(new SocketCongestion(true), ActorRefs.NoSender);
        var b = Connect(call.CallId, joined.PeerId);
        b.Expect<ProbeConnection.ReadingPaused>(p => p.Paused);
    }

    private static T? TryFish<T>(Socket socket) where T : class
    {
        while (socket.Events.ReceiveOne(TimeSpan.FromMilliseconds(200)) is { } heard)
        {
            if (heard is T wanted) return wanted;
        }
        return null;
    }
}
