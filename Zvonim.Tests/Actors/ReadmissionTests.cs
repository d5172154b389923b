using System.Text;
using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>A socket whose call moved (in a cluster, the call's node died and the call came back elsewhere) is admitted
/// again: what it knows of the others afterwards is what the call says, not what it knew before. The calls and the
/// other socket are probes here, so the test decides what the call answers.</summary>
public sealed class ReadmissionTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    [Fact]
    public void Frames_held_for_someone_who_connected_while_the_call_moved_reach_them_and_nothing_waits_for_one_who_left()
    {
        var manager = CreateTestProbe("calls");
        var events = CreateTestProbe("socket-a");
        var boris = CreateTestProbe("socket-b");
        var peer = Sys.ActorOf(PeerActor.Props(new AttachPeer("call-1", "anna"), manager.Ref, new ProbeConnection(events), pendingLimit: 16));
        var snapshot = new RoomState("call-1", new RoomPolicy(), Time.GetUtcNow()).Snapshot();

        // Admitted; boris joined but is not connected, so anna's offer is held for him.
        manager.ExpectMsg<AttachPeer>();
        var first = CreateTestProbe("call-on-node-1");
        peer.Tell(new PeerAdmitted("call-1", "anna", snapshot, [new PeerLink("boris", null, null), new PeerLink("carol", null, null)]), first.Ref);
        peer.Tell(new ClientSignal(SignalKind.Offer, null, Encoding.UTF8.GetBytes("offer-1")), ActorRefs.NoSender);

        // The call's node dies; the call comes back elsewhere, where boris has connected meanwhile and carol has left.
        Sys.Stop(first.Ref);
        manager.ExpectMsg<AttachPeer>();
        var second = CreateTestProbe("call-on-node-2");
        peer.Tell(new PeerAdmitted("call-1", "anna", snapshot, [new PeerLink("boris", null, boris.Ref)]), second.Ref);

        Assert.Equal("offer-1", Encoding.UTF8.GetString(boris.FishForMessage<SignalEvent>(_ => true).Frame));

        // Nothing is held for carol any more: frame after frame reaches boris, and none is refused as waiting too long.
        for (var i = 0; i < 20; i++) peer.Tell(new ClientSignal(SignalKind.IceCandidate, null, Encoding.UTF8.GetBytes($"ice-{i}")), ActorRefs.NoSender);
        for (var i = 0; i < 20; i++) Assert.Equal($"ice-{i}", Encoding.UTF8.GetString(boris.FishForMessage<SignalEvent>(_ => true).Frame));
        while (events.ReceiveOne(TimeSpan.FromMilliseconds(200)) is { } heard)
            Assert.False(heard is ErrorEvent, $"anna was told {heard}");
    }

    /// <summary>Boris's socket was congested when the call moved, and drained while his socket was between calls: his
    /// "relieved" reached nobody. Anna's socket must not stay paused for him for good: her marks go with the call, and
    /// boris, admitted again, says how he is either way.</summary>
    [Fact]
    public void A_receiver_that_drained_while_the_call_moved_does_not_leave_its_sender_paused_for_good()
    {
        var manager = CreateTestProbe("calls");
        var events = CreateTestProbe("socket-a");
        var boris = CreateTestProbe("socket-b");
        var anna = Sys.ActorOf(PeerActor.Props(new AttachPeer("call-1", "anna"), manager.Ref, new ProbeConnection(events), pendingLimit: 16));
        var snapshot = new RoomState("call-1", new RoomPolicy(), Time.GetUtcNow()).Snapshot();
        manager.ExpectMsg<AttachPeer>();
        var first = CreateTestProbe("call-on-node-1");
        anna.Tell(new PeerAdmitted("call-1", "anna", snapshot, [new PeerLink("boris", null, boris.Ref)]), first.Ref);
        anna.Tell(new PeerCongestion("boris", true), boris.Ref);
        Assert.True(events.FishForMessage<ProbeConnection.ReadingPaused>(_ => true).Paused);

        Sys.Stop(first.Ref); // the call moves; boris's socket drains meanwhile and tells nobody
        Assert.False(events.FishForMessage<ProbeConnection.ReadingPaused>(_ => true).Paused);
        manager.ExpectMsg<AttachPeer>();
        anna.Tell(new PeerAdmitted("call-1", "anna", snapshot, [new PeerLink("boris", null, boris.Ref)]), CreateTestProbe("call-on-node-2").Ref);
        anna.Tell(new ClientSignal(SignalKind.IceCandidate, null, Encoding.UTF8.GetBytes("ice")), ActorRefs.NoSender);
        Assert.Equal("ice", Encoding.UTF8.GetString(boris.FishForMessage<SignalEvent>(_ => true).Frame));
    }

    /// <summary>The other half: a socket admitted again tells the others whether it is congested, relieved included.</summary>
    [Fact]
    public void A_socket_admitted_again_tells_the_others_it_is_not_congested()
    {
        var manager = CreateTestProbe("calls");
        var boris = CreateTestProbe("socket-b");
        var anna = Sys.ActorOf(PeerActor.Props(new AttachPeer("call-1", "anna"), manager.Ref, new ProbeConnection(CreateTestProbe()), pendingLimit: 16));
        var snapshot = new RoomState("call-1", new RoomPolicy(), Time.GetUtcNow()).Snapshot();
        manager.ExpectMsg<AttachPeer>();
        var first = CreateTestProbe("call-on-node-1");
        anna.Tell(new PeerAdmitted("call-1", "anna", snapshot, [new PeerLink("boris", null, boris.Ref)]), first.Ref);
        boris.ExpectMsg<OpenRoute>();
        boris.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // first admitted and not congested: no word of congestion

        Sys.Stop(first.Ref);
        manager.ExpectMsg<AttachPeer>();
        anna.Tell(new PeerAdmitted("call-1", "anna", snapshot, [new PeerLink("boris", null, boris.Ref)]), CreateTestProbe("call-on-node-2").Ref);
        Assert.False(boris.FishForMessage<PeerCongestion>(_ => true).Congested);
    }
}
