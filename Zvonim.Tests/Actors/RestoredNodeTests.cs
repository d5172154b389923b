using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>
/// A node started again from its store (records read at start, <see cref="CallManager"/> with a store): what comes
/// back and how, in virtual time. The store is a probe, so each test also sees what the node writes to it.
/// </summary>
public sealed class RestoredNodeTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static readonly RoomPolicy Call = Policies.TwoParty;

    private static readonly RoomPolicy LinkRoom = Policies.LinkRoom;

    private (IActorRef Calls, TestProbe Store, TestProbe Client) Node(params CallRecord[] records)
    {
        var store = CreateTestProbe("store");
        var calls = Sys.ActorOf(CallManager.Props(store.Ref, records), CallManager.Name);
        return (calls, store, CreateTestProbe("client"));
    }

    private static ParticipantRecord Person(string peerId, DateTimeOffset at) => new(peerId, null, at, at);

    [Fact]
    public void A_live_call_comes_back_with_its_people_disconnected_and_ends_if_nobody_returns_within_the_grace()
    {
        var at = Time.GetUtcNow() - TimeSpan.FromMinutes(1);
        var (calls, store, client) = Node(new CallRecord("call-1", Call, at, false, [Person("peer-a", at), Person("peer-b", at)]));
        client.Send(calls, new GetCall("call-1"));
        var snapshot = client.ExpectMsg<CallInfo>().Snapshot;
        Assert.Equal((CallStatus.Active, 2, 0), (snapshot.Status, snapshot.Count, snapshot.ConnectedCount));

        Time.Advance(Call.ReconnectGrace + TimeSpan.FromSeconds(1));
        AwaitAssert(() =>
        {
            client.Send(calls, new GetCall("call-1"));
            Assert.Equal(CallStatus.Ended, client.ExpectMsg<CallInfo>().Snapshot.Status);
        });
        store.FishForMessage<SaveCall>(save => save.Record.Ended); // the ending is kept too
    }

    [Fact]
    public void The_record_written_at_a_join_carries_the_newcomer_s_proof_so_a_restart_before_its_socket_comes_lets_it_in()
    {
        var group = Policies.TwoParty with { Kind = "group-room", Capacity = 8, PublicPeerIds = true };
        var (calls, store, client) = Node();
        client.Send(calls, new CreateCall(group, new JoinAs("Alice")));
        var room = client.ExpectMsg<CallCreated>();
        client.Send(calls, new JoinCall(room.CallId, "Bob"));
        var bob = client.ExpectMsg<CallJoined>();
        Assert.NotNull(bob.Secret);

        // The last record before Bob's socket comes is the one a node that dies now is restarted from.
        var written = store.FishForMessage<SaveCall>(save => save.Record.Participants.Any(p => p.PeerId == bob.PeerId)).Record;
        Assert.Equal(bob.Secret, written.Participants.Single(p => p.PeerId == bob.PeerId).Secret);
    }

    [Fact]
    public async Task An_unused_room_link_sleeps_again_with_its_week_counted_from_its_creation()
    {
        var created = Time.GetUtcNow() - TimeSpan.FromDays(2);
        var (calls, _, client) = Node(new CallRecord("room-1", LinkRoom, created, false, []));
        client.Send(calls, new GetCall("room-1"));
        var snapshot = client.ExpectMsg<CallInfo>().Snapshot;
        Assert.Equal((CallStatus.Waiting, created + LinkRoom.Lifetime), (snapshot.Status, snapshot.ExpiresAt));
        Assert.Null((await Sys.ActorSelection(calls.Path / "room-1").Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(3))).Subject);

        Time.Advance(TimeSpan.FromDays(5)); // its week is over: it ends like any room at the end of its life
        AwaitAssert(() =>
        {
            client.Send(calls, new GetCall("room-1"));
            Assert.Equal(CallStatus.Ended, client.ExpectMsg<CallInfo>().Snapshot.Status);
        });
    }

    [Fact]
    public void Calls_that_had_ended_and_links_whose_week_passed_while_the_node_was_down_are_not_brought_back_to_life()
    {
        var now = Time.GetUtcNow();
        var (calls, store, client) = Node(
            new CallRecord("ended-1", Call, now - TimeSpan.FromMinutes(3), true, [Person("peer-a", now)]),
            new CallRecord("room-old", LinkRoom, now - TimeSpan.FromDays(8), false, []));
        Assert.Equal("ended-1", store.ExpectMsg<ForgetCall>().CallId);
        client.Send(calls, new GetCall("ended-1"));
        Assert.Equal(Refusal.NotFound, client.ExpectMsg<CallRefused>().Reason);

        client.Send(calls, new GetCall("room-old"));
        Assert.Equal(CallStatus.Ended, client.ExpectMsg<CallInfo>().Snapshot.Status);
        Time.Advance(LinkRoom.EndedRetention);
        store.FishForMessage<ForgetCall>(forget => forget.CallId == "room-old");
    }

    [Fact]
    public void A_room_made_on_a_node_with_a_store_is_written_to_it_at_once()
    {
        var (calls, store, client) = Node();
        client.Send(calls, new CreateCall(LinkRoom));
        var created = client.ExpectMsg<CallCreated>();
        var saved = store.ExpectMsg<SaveCall>().Record;
        Assert.Equal((created.CallId, LinkRoom, false, 0), (saved.CallId, saved.Policy, saved.Ended, saved.Participants.Count));
    }
}
