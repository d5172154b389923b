using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>
/// A link room is made with nobody in it and may wait a week for its first visitor, or never get one. Until then it is
/// a small record in the manager, not an actor; it behaves exactly as before: it answers status, admits its first
/// visitor, and ends with its lifetime counted from its creation, in virtual time.
/// </summary>
public sealed class DormantRoomTests(ITestOutputHelper output) : CallSimulationBase(output)
{
    private static readonly RoomPolicy LinkRoom = Policies.LinkRoom;

    private bool HasActor(string callId)
    {
        var identity = Sys.ActorSelection(Calls.Path / callId).Ask<ActorIdentity>(new Identify(callId), TimeSpan.FromSeconds(3)).Result;
        return identity.Subject is not null;
    }

    private TestProbe Visit(string callId)
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(PeerActor.Props(new AttachPeer(callId, null, JoinIfAbsent: true, Kind: "link-room"), Calls, new ProbeConnection(probe), 16));
        return probe;
    }

    [Fact]
    public void An_unused_link_room_has_no_actor_until_its_first_visitor_and_its_week_counts_from_its_creation()
    {
        var room = Create(LinkRoom, withCreator: false);
        var status = Status(room.CallId);
        Assert.Equal((CallStatus.Waiting, 0), (status.Status, status.Count));
        Assert.Equal(status.CreatedAt + TimeSpan.FromDays(7), status.ExpiresAt);
        Assert.False(HasActor(room.CallId));
        Client.Send(Calls, new GetCallCount());
        Assert.Equal(1, Client.ExpectMsg<CallCount>().Calls);

        Time.Advance(TimeSpan.FromDays(6));
        var visitor = Visit(room.CallId);
        visitor.ExpectMsg<WelcomeEvent>();
        Assert.True(HasActor(room.CallId));
        Assert.Equal(status.CreatedAt, Status(room.CallId).CreatedAt);

        Time.Advance(TimeSpan.FromDays(1)); // a week after creation, not after the visit
        visitor.FishForMessage<StateEvent>(s => s.Snapshot.Status == CallStatus.Ended, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_link_room_nobody_ever_used_ends_after_its_week_is_kept_for_status_and_then_forgotten()
    {
        var room = Create(LinkRoom, withCreator: false);
        Time.Advance(TimeSpan.FromDays(7));
        Assert.Equal(CallStatus.Ended, Status(room.CallId).Status);
        var late = Visit(room.CallId);
        Assert.Equal(ErrorCodes.For(Refusal.Ended), late.FishForMessage<ErrorEvent>(_ => true, TimeSpan.FromSeconds(3)).Code);

        Time.Advance(LinkRoom.EndedRetention);
        AwaitAssert(() =>
        {
            Client.Send(Calls, new GetCall(room.CallId));
            Assert.Equal(Refusal.NotFound, Client.ExpectMsg<CallRefused>().Reason);
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Dormant_rooms_count_toward_the_nodes_call_limit_and_answer_only_their_own_api()
    {
        var calls = Sys.ActorOf(CallManager.Props(maxCalls: 2));
        Client.Send(calls, new CreateCall(LinkRoom));
        var room = Client.ExpectMsg<CallCreated>();
        Client.Send(calls, new CreateCall(LinkRoom));
        Client.ExpectMsg<CallCreated>();
        Client.Send(calls, new CreateCall(LinkRoom));
        Assert.Equal(Refusal.AtCapacity, Client.ExpectMsg<CallRefused>().Reason);

        Client.Send(calls, new GetCall(room.CallId, Kind: "call")); // the apiv2 API asking about a link room
        Assert.Equal(Refusal.NotFound, Client.ExpectMsg<CallRefused>().Reason);
        Client.Send(calls, new JoinCall(room.CallId, Kind: "call"));
        Assert.Equal(Refusal.NotFound, Client.ExpectMsg<CallRefused>().Reason);
        Client.Send(calls, new GetCall(room.CallId, Kind: "link-room"));
        Assert.Equal(CallStatus.Waiting, Client.ExpectMsg<CallInfo>().Snapshot.Status);
    }
}
