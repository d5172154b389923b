using System.Text;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Tests.Actors;

/// <summary>The same actors under a group policy: N participants, directed frames, leaving without ending.</summary>
public sealed class GroupRoomSimulationTests(ITestOutputHelper output) : CallSimulationBase(output)
{
    private static readonly RoomPolicy Group = TwoParty with
    {
        Kind = "group-room",
        Capacity = 4,
        OnLeave = LeaveBehavior.KeepOpen,
        EndWhenEmpty = true,
    };

    [Fact]
    public void Directed_frames_reach_only_their_addressee_and_broadcasts_reach_everyone_else()
    {
        var (callId, sockets) = Mesh(4);
        var (a, b, c, d) = (sockets[0], sockets[1], sockets[2], sockets[3]);

        a.Say(new ClientSignal(SignalKind.Offer, b.Id, Frame("to-b")));
        a.Say(new ClientSignal(SignalKind.Offer, c.Id, Frame("to-c")));
        a.Say(new ClientSignal(SignalKind.IceCandidate, null, Frame("to-all")));

        Assert.Equal(["to-b", "to-all"], Signals(b, 2));
        Assert.Equal(["to-c", "to-all"], Signals(c, 2));
        Assert.Equal(["to-all"], Signals(d, 1));
        Assert.All(new[] { b, c, d }, s => Assert.Equal(a.Id, LastFrom));
        Assert.Equal(CallStatus.Active, Status(callId).Status);
    }

    [Fact]
    public void Joins_that_never_connect_keep_their_seats_only_for_the_seat_hold_then_a_newcomer_gets_the_oldest()
    {
        var room = Group with { Capacity = 3, SeatHold = TimeSpan.FromSeconds(30) };
        var call = Create(room);
        var owner = Connect(call.CallId, call.PeerId!);
        var phantomA = Join(call.CallId).PeerId;
        Time.Advance(TimeSpan.FromSeconds(5));
        var phantomB = Join(call.CallId).PeerId;

        Client.Send(Calls, new JoinCall(call.CallId));
        Assert.Equal(Refusal.Full, Client.ExpectMsg<CallRefused>().Reason); // inside the hold, seats are kept

        Time.Advance(TimeSpan.FromSeconds(26)); // phantom A is past the hold, phantom B is not
        var newcomer = Join(call.CallId).PeerId;
        Assert.Equal(phantomA, owner.Expect<PeerLeftEvent>().PeerId);
        var seated = Status(call.CallId).Participants.Select(p => p.PeerId).ToArray();
        Assert.Equal([call.PeerId!, phantomB, newcomer], seated);

        // A connected member's seat is never taken, however long ago it joined.
        Time.Advance(TimeSpan.FromMinutes(1));
        Connect(call.CallId, newcomer);
        Join(call.CallId); // phantom B's seat, now stale
        Client.Send(Calls, new JoinCall(call.CallId));
        Assert.Equal(Refusal.Full, Client.ExpectMsg<CallRefused>().Reason);
    }

    [Fact]
    public void A_frame_to_someone_outside_the_room_is_refused_and_goes_nowhere()
    {
        var (_, sockets) = Mesh(2);
        sockets[0].Say(new ClientSignal(SignalKind.Offer, "stranger", Frame("x")));
        Assert.Equal(ErrorCodes.BadTarget, sockets[0].Socket.Expect<ErrorEvent>().Code);
        sockets[0].Say(new ClientSignal(SignalKind.Offer, sockets[0].Id, Frame("self")));
        Assert.Equal(ErrorCodes.BadTarget, sockets[0].Socket.Expect<ErrorEvent>().Code);
        AssertNoSignal(sockets[1].Socket);
    }

    [Fact]
    public void The_room_is_full_at_its_capacity()
    {
        var (callId, _) = Mesh(4);
        Client.Send(Calls, new JoinCall(callId, "late"));
        Assert.Equal(Refusal.Full, Client.ExpectMsg<CallRefused>().Reason);
    }

    [Fact]
    public void One_leaving_is_told_to_the_others_and_the_room_goes_on_until_the_last_leaves()
    {
        var (callId, sockets) = Mesh(3);
        Client.Send(Calls, new LeaveCall(callId, sockets[0].Id));
        Client.ExpectMsg<CallLeft>();
        Assert.Equal(sockets[0].Id, sockets[1].Socket.Expect<PeerLeftEvent>().PeerId);
        Assert.Equal(sockets[0].Id, sockets[2].Socket.Expect<PeerLeftEvent>().PeerId);
        Assert.Equal(CallStatus.Active, Status(callId).Status);

        sockets[1].Say(new ClientSignal(SignalKind.Offer, null, Frame("still-here")));
        Assert.Equal(["still-here"], Signals(sockets[2], 1));

        Client.Send(Calls, new LeaveCall(callId, sockets[1].Id));
        Client.ExpectMsg<CallLeft>();
        Assert.Equal(CallStatus.Waiting, Status(callId).Status);
        Client.Send(Calls, new LeaveCall(callId, sockets[2].Id));
        Client.ExpectMsg<CallLeft>();
        Assert.Equal(CallStatus.Ended, Status(callId).Status);
    }

    [Fact]
    public void A_dropped_member_is_held_for_the_grace_then_the_others_hear_it_left()
    {
        var (callId, sockets) = Mesh(3);
        sockets[2].Socket.Drop();
        sockets[0].Socket.Expect<StateEvent>(s => s.Snapshot.ConnectedCount == 2);
        Time.Advance(Group.ReconnectGrace - TimeSpan.FromSeconds(1));
        sockets[0].Say(new ClientSignal(SignalKind.IceCandidate, sockets[2].Id, Frame("held")));
        var back = Connect(callId, sockets[2].Id);
        Assert.Equal("held", Encoding.UTF8.GetString(back.Expect<SignalEvent>().Frame));

        back.Drop();
        sockets[0].Socket.Expect<StateEvent>(s => s.Snapshot.ConnectedCount == 2);
        Time.Advance(Group.ReconnectGrace);
        Assert.Equal(sockets[2].Id, sockets[0].Socket.Expect<PeerLeftEvent>().PeerId);
        Assert.Equal(2, Status(callId).Count);
    }

    [Fact]
    public void Sockets_only_joins_get_fresh_server_chosen_ids()
    {
        var link = Create(TwoParty with { Kind = "link-room", OnLeave = LeaveBehavior.KeepOpen, EndWhenEmpty = false }, withCreator: false);
        var first = Attach(link.CallId, claimedId: "i-pick-my-own-id");
        var welcome = first.ExpectMsg<WelcomeEvent>();
        Assert.NotEqual("i-pick-my-own-id", welcome.PeerId);
        Assert.Equal(21, welcome.PeerId.Length);
        var second = Attach(link.CallId, claimedId: null);
        second.ExpectMsg<WelcomeEvent>();
        var third = Attach(link.CallId, claimedId: null);
        Assert.Equal(ErrorCodes.Full, third.ExpectMsg<ErrorEvent>().Code);
    }

    private string? LastFrom { get; set; }

    private TestProbe Attach(string callId, string? claimedId)
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(PeerActor.Props(new AttachPeer(callId, claimedId, JoinIfAbsent: true), Calls, new ProbeConnection(probe), 16));
        return probe;
    }

    private string[] Signals(Member member, int count) => Enumerable.Range(0, count).Select(_ =>
    {
        var signal = member.Socket.Expect<SignalEvent>();
        LastFrom = signal.FromPeerId;
        return Encoding.UTF8.GetString(signal.Frame);
    }).ToArray();

    private sealed record Member(string Id, Socket Socket)
    {
        public void Say(object message) => Socket.Say(message);
    }

    /// <summary>A room of <paramref name="size"/> members, all connected and known to each other.</summary>
    private (string CallId, Member[] Members) Mesh(int size)
    {
        var call = Create(Group);
        var ids = new List<string> { call.PeerId! };
        for (var i = 1; i < size; i++) ids.Add(Join(call.CallId).PeerId);
        var members = ids.Select(id => new Member(id, Connect(call.CallId, id))).ToArray();
        // Everyone has heard of everyone's socket before the test speaks.
        for (var i = 0; i < size; i++)
        {
            for (var j = i + 1; j < size; j++) members[i].Socket.Expect<PeerConnectedEvent>(e => e.PeerId == ids[j]);
        }
        return (call.CallId, members);
    }
}
