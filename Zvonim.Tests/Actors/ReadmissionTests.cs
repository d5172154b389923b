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
}
