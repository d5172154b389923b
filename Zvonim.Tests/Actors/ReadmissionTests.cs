using System.Text;
using Akka.Actor;
using Akka.TestKit;
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
    /// <summary>Anna's socket (its client a probe), admitted by a call on a first node with <paramref name="others"/>.</summary>
    private sealed record Admitted(TestProbe Manager, TestProbe Client, IActorRef Anna, TestProbe Call, CallSnapshot Snapshot);

    private Admitted AdmittedAnna(params PeerLink[] others)
    {
        var manager = CreateTestProbe("calls");
        var client = CreateTestProbe("socket-a");
        var anna = Sys.ActorOf(PeerActor.Props(new AttachPeer("call-1", "anna"), manager.Ref, new ProbeConnection(client), pendingLimit: 16));
        var snapshot = new RoomState("call-1", new RoomPolicy(), Time.GetUtcNow()).Snapshot();
        manager.ExpectMsg<AttachPeer>();
        var call = CreateTestProbe("call-on-node-1");
        anna.Tell(new PeerAdmitted("call-1", "anna", snapshot, others), call.Ref);
        return new Admitted(manager, client, anna, call, snapshot);
    }

    /// <summary>The call's node dies; anna's socket asks again and is admitted by the call brought back elsewhere.</summary>
    private void MoveCall(Admitted a, params PeerLink[] others)
    {
        Sys.Stop(a.Call.Ref);
        a.Manager.ExpectMsg<AttachPeer>();
        a.Anna.Tell(new PeerAdmitted("call-1", "anna", a.Snapshot, others), CreateTestProbe("call-on-node-2").Ref);
    }

    [Fact]
    public void Frames_held_for_someone_who_connected_while_the_call_moved_reach_them_and_nothing_waits_for_one_who_left()
    {
        var boris = CreateTestProbe("socket-b");
        // Admitted; boris joined but is not connected, so anna's offer is held for him.
        var a = AdmittedAnna(new PeerLink("boris", null, null), new PeerLink("carol", null, null));
        var (peer, events) = (a.Anna, a.Client);
        peer.Tell(new ClientSignal(SignalKind.Offer, null, Encoding.UTF8.GetBytes("offer-1")), ActorRefs.NoSender);

        // The call's node dies; the call comes back elsewhere, where boris has connected meanwhile and carol has left.
        MoveCall(a, new PeerLink("boris", null, boris.Ref));

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
        var boris = CreateTestProbe("socket-b");
        var a = AdmittedAnna(new PeerLink("boris", null, boris.Ref));
        a.Anna.Tell(new PeerCongestion("boris", true), boris.Ref);
        Assert.True(a.Client.FishForMessage<ProbeConnection.ReadingPaused>(_ => true).Paused);

        // The call moves; boris's socket drains meanwhile and tells nobody.
        MoveCall(a, new PeerLink("boris", null, boris.Ref));
        Assert.False(a.Client.FishForMessage<ProbeConnection.ReadingPaused>(_ => true).Paused);
        a.Anna.Tell(new ClientSignal(SignalKind.IceCandidate, null, Encoding.UTF8.GetBytes("ice")), ActorRefs.NoSender);
        Assert.Equal("ice", Encoding.UTF8.GetString(boris.FishForMessage<SignalEvent>(_ => true).Frame));
    }

    /// <summary>The other half: a socket admitted again tells the others whether it is congested, relieved included.</summary>
    [Fact]
    public void A_socket_admitted_again_tells_the_others_it_is_not_congested()
    {
        var boris = CreateTestProbe("socket-b");
        var a = AdmittedAnna(new PeerLink("boris", null, boris.Ref));
        boris.ExpectMsg<OpenRoute>();
        boris.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // first admitted and not congested: no word of congestion

        MoveCall(a, new PeerLink("boris", null, boris.Ref));
        Assert.False(boris.FishForMessage<PeerCongestion>(_ => true).Congested);
    }

    /// <summary>The call cannot be brought back just yet (its record unreadable while the database is down): the
    /// socket of someone the call still holds a place for stays open, tells its client nothing, and keeps asking until
    /// the call is back.</summary>
    [Fact]
    public void A_socket_whose_call_cannot_be_brought_back_yet_stays_open_and_keeps_asking()
    {
        var a = AdmittedAnna();
        a.Client.FishForMessage<StateEvent>(_ => true);
        Sys.Stop(a.Call.Ref);
        a.Manager.ExpectMsg<AttachPeer>();
        a.Anna.Tell(CallRefused.Unreadable("call-1"), a.Manager.Ref);
        a.Client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(a.Manager.ExpectMsg<AttachPeer>().JoinIfAbsent); // anna, coming back, not a newcomer
        a.Anna.Tell(new PeerAdmitted("call-1", "anna", a.Snapshot, []), CreateTestProbe("call-on-node-2").Ref);
        Assert.IsType<WelcomeEvent>(a.Client.ReceiveOne(TimeSpan.FromSeconds(3)));
    }

    /// <summary>A call that cannot be brought back for a whole minute is not waited on in silence for ever: the socket
    /// is closed "try again", as a first attach to a call that cannot be read is.</summary>
    [Fact]
    public void A_socket_whose_call_stays_unreadable_for_a_minute_is_closed_try_again()
    {
        var a = AdmittedAnna();
        Sys.Stop(a.Call.Ref);
        for (var refusal = 1; refusal < PeerActor.GiveUpComingBackAfter; refusal++)
        {
            a.Manager.ExpectMsg<AttachPeer>();
            a.Anna.Tell(CallRefused.Unreadable("call-1"), a.Manager.Ref);
            Time.Advance(TimeSpan.FromSeconds(1));
        }
        while (a.Client.ReceiveOne(TimeSpan.FromMilliseconds(100)) is { } heard)
            Assert.False(heard is ProbeConnection.Closed or ErrorEvent, $"anna was told {heard} within the minute");
        a.Manager.ExpectMsg<AttachPeer>();
        a.Anna.Tell(CallRefused.Unreadable("call-1"), a.Manager.Ref);
        var closed = a.Client.FishForMessage<ProbeConnection.Closed>(_ => true);
        Assert.Equal(Refusal.AtCapacity, closed.Refusal);
    }

    /// <summary>In a cluster a socket also asks again a second after its first attach, in case that request was lost. A
    /// call lost before that second is up must not leave two rounds of asking running: one request a second.</summary>
    [Fact]
    public void A_call_lost_within_the_first_second_is_asked_after_once_a_second()
    {
        var manager = CreateTestProbe("calls");
        var anna = Sys.ActorOf(PeerActor.Props(new AttachPeer("call-1", "anna"), manager.Ref, new ProbeConnection(CreateTestProbe("socket-a")),
            pendingLimit: 16, attachRetry: TimeSpan.FromSeconds(1)));
        manager.ExpectMsg<AttachPeer>();
        var call = CreateTestProbe("call-on-node-1");
        anna.Tell(new PeerAdmitted("call-1", "anna", new RoomState("call-1", new RoomPolicy(), Time.GetUtcNow()).Snapshot(), []), call.Ref);
        Time.Advance(TimeSpan.FromMilliseconds(500));
        Sys.Stop(call.Ref);
        manager.ExpectMsg<AttachPeer>();

        for (var second = 0; second < 3; second++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            manager.ExpectMsg<AttachPeer>();
            manager.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        }
    }
}
