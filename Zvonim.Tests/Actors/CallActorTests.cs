using System.Text;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Akka.Actor;
using Akka.TestKit;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Tests.Actors;

public sealed class CallActorTests(ITestOutputHelper output) : CallSimulationBase(output)
{
    /// <summary>Isolates the idle TTL from the first-connect timeout, which would otherwise end the call first.</summary>
    private static readonly RoomPolicy PatientCreator = TwoParty with { FirstConnectTimeout = TimeSpan.FromDays(1) };

    [Fact]
    public void A_creator_who_never_connects_ends_the_call_after_the_first_connect_timeout()
    {
        var call = Create();
        Time.Advance(TwoParty.FirstConnectTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(CallStatus.Waiting, Status(call.CallId).Status);
        Time.Advance(TimeSpan.FromSeconds(1));
        AwaitStatus(call.CallId, CallStatus.Ended);
    }

    [Fact]
    public async Task A_query_racing_the_retirement_is_answered_not_lost()
    {
        var call = Create(PatientCreator);
        Time.Advance(TwoParty.IdleTtl);
        AwaitStatus(call.CallId, CallStatus.Ended);
        var queries = Enumerable.Range(0, 50).Select(_ => Task.Run(() => Calls.Ask<ICallReply>(new GetCall(call.CallId), TimeSpan.FromSeconds(30)))).ToList();
        Time.Advance(TwoParty.EndedRetention);
        queries.AddRange(Enumerable.Range(0, 50).Select(_ => Task.Run(() => Calls.Ask<ICallReply>(new GetCall(call.CallId), TimeSpan.FromSeconds(30)))));
        var replies = await Task.WhenAll(queries).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(replies, r => Assert.True(r is CallInfo or CallRefused { Reason: Refusal.NotFound }));
        AwaitGone(call.CallId);
    }

    [Fact]
    public void First_participant_waits_second_makes_it_active_third_is_refused()
    {
        var call = Create();
        Assert.Equal(CallStatus.Waiting, call.Snapshot.Status);
        Assert.Equal(1, call.Snapshot.Count);

        Join(call.CallId);
        var status = Status(call.CallId);
        Assert.Equal(CallStatus.Active, status.Status);
        Assert.Equal(2, status.Count);

        Client.Send(Calls, new JoinCall(call.CallId));
        var refused = Client.ExpectMsg<CallRefused>();
        Assert.Equal(Refusal.Full, refused.Reason);
        Assert.Equal(2, Status(call.CallId).Count);
    }

    [Fact]
    public void Unknown_call_is_not_found()
    {
        Client.Send(Calls, new JoinCall("no-such-call"));
        Assert.Equal(Refusal.NotFound, Client.ExpectMsg<CallRefused>().Reason);
        Client.Send(Calls, new GetCall("no-such-call"));
        Assert.Equal(Refusal.NotFound, Client.ExpectMsg<CallRefused>().Reason);
    }

    [Fact]
    public void A_leave_ends_the_call_and_the_other_socket_hears_leave_state_and_close()
    {
        var call = Create();
        var b = Join(call.CallId);
        var socketA = Connect(call.CallId, call.PeerId!);
        var socketB = Connect(call.CallId, b.PeerId);

        Client.Send(Calls, new LeaveCall(call.CallId, call.PeerId!));
        Client.ExpectMsg<CallLeft>();

        Assert.Equal(call.PeerId, socketB.Expect<PeerLeftEvent>().PeerId);
        Assert.Equal(CallStatus.Ended, socketB.Expect<StateEvent>().Snapshot.Status);
        Assert.Equal(CloseReason.CallEnded, socketB.Expect<ProbeConnection.Closed>().Reason);
        Assert.Equal(CloseReason.LeftCall, socketA.Expect<ProbeConnection.Closed>().Reason);
        Assert.Equal(CallStatus.Ended, Status(call.CallId).Status);

        Client.Send(Calls, new JoinCall(call.CallId));
        Assert.Equal(Refusal.Ended, Client.ExpectMsg<CallRefused>().Reason);
    }

    [Fact]
    public void With_keep_open_a_leave_returns_the_call_to_waiting()
    {
        var call = Create(TwoParty with { OnLeave = LeaveBehavior.KeepOpen });
        var b = Join(call.CallId);
        var socketA = Connect(call.CallId, call.PeerId!);
        Client.Send(Calls, new LeaveCall(call.CallId, b.PeerId));
        Client.ExpectMsg<CallLeft>();
        Assert.Equal(b.PeerId, socketA.Expect<PeerLeftEvent>().PeerId);
        var state = socketA.Expect<StateEvent>(s => s.Snapshot.Count == 1);
        Assert.Equal(CallStatus.Waiting, state.Snapshot.Status);
        Join(call.CallId); // the slot is free again
    }

    [Fact]
    public void Idle_call_ends_after_the_ttl_and_is_gone_after_the_retention()
    {
        var call = Create(PatientCreator);
        Time.Advance(TwoParty.IdleTtl - TimeSpan.FromSeconds(1));
        Assert.Equal(CallStatus.Waiting, Status(call.CallId).Status);

        Time.Advance(TimeSpan.FromSeconds(1));
        AwaitStatus(call.CallId, CallStatus.Ended);

        Time.Advance(TwoParty.EndedRetention);
        AwaitGone(call.CallId);
    }

    [Fact]
    public void Status_queries_do_not_keep_an_idle_call_alive()
    {
        var call = Create(PatientCreator);
        for (var i = 0; i < 10; i++)
        {
            Time.Advance(TwoParty.IdleTtl / 10);
            Status(call.CallId);
        }
        AwaitStatus(call.CallId, CallStatus.Ended);
    }

    [Fact]
    public void A_connected_call_is_not_idle()
    {
        var call = Create();
        Connect(call.CallId, call.PeerId!);
        Time.Advance(TwoParty.IdleTtl * 3);
        Assert.Equal(CallStatus.Waiting, Status(call.CallId).Status);
    }

    [Fact]
    public void Reconnect_inside_the_grace_resumes_and_relays_again()
    {
        var call = Create();
        var b = Join(call.CallId);
        var socketA = Connect(call.CallId, call.PeerId!);
        var socketB = Connect(call.CallId, b.PeerId);
        socketA.Expect<PeerConnectedEvent>(e => e.PeerId == b.PeerId);

        socketB.Drop();
        socketA.Expect<StateEvent>(s => s.Snapshot.ConnectedCount == 1);
        Time.Advance(TwoParty.ReconnectGrace - TimeSpan.FromSeconds(1));

        var again = Connect(call.CallId, b.PeerId);
        socketA.Expect<PeerConnectedEvent>(e => e.PeerId == b.PeerId);
        socketA.Say(new ClientSignal(SignalKind.Offer, null, Frame("""{"type":"offer","n":1}""")));
        Assert.Equal("""{"type":"offer","n":1}""", Encoding.UTF8.GetString(again.Expect<SignalEvent>().Frame));

        Time.Advance(TimeSpan.FromSeconds(5)); // past the old grace deadline: the stale timer must not evict B
        Assert.Equal(2, Status(call.CallId).Count);
        Assert.Equal(CallStatus.Active, Status(call.CallId).Status);
    }

    [Fact]
    public void Outside_the_grace_the_dropped_participant_has_left()
    {
        var call = Create();
        var b = Join(call.CallId);
        var socketA = Connect(call.CallId, call.PeerId!);
        var socketB = Connect(call.CallId, b.PeerId);
        socketB.Drop();
        socketA.Expect<StateEvent>(s => s.Snapshot.ConnectedCount == 1);

        Time.Advance(TwoParty.ReconnectGrace);
        Assert.Equal(b.PeerId, socketA.Expect<PeerLeftEvent>().PeerId);
        Assert.Equal(CloseReason.CallEnded, socketA.Expect<ProbeConnection.Closed>().Reason);

        var late = Connect(call.CallId, b.PeerId, expectAdmission: false);
        late.Expect<ErrorEvent>();
        Assert.Equal(CloseReason.Refused, late.Expect<ProbeConnection.Closed>().Reason);
    }

    [Fact]
    public void A_second_socket_for_the_same_peer_supersedes_the_first()
    {
        var call = Create();
        var first = Connect(call.CallId, call.PeerId!);
        var second = Connect(call.CallId, call.PeerId!);
        Assert.Equal(CloseReason.Superseded, first.Expect<ProbeConnection.Closed>().Reason);
        Assert.Equal(1, Status(call.CallId).ConnectedCount);
        Assert.NotNull(second);
    }

    [Fact]
    public void Unknown_peer_id_is_refused_on_the_socket()
    {
        var call = Create();
        var stranger = Connect(call.CallId, "not-a-participant", expectAdmission: false);
        Assert.Equal(ErrorCodes.NotAParticipant, stranger.Expect<ErrorEvent>().Code);
        var closed = stranger.Expect<ProbeConnection.Closed>();
        Assert.Equal(Refusal.NotAParticipant, closed.Refusal);
        stranger.Events.Watch(stranger.Peer);
        stranger.Events.ExpectTerminated(stranger.Peer);
    }

    [Fact]
    public void Frames_sent_before_the_other_peer_connects_are_delivered_in_order_when_it_does()
    {
        var call = Create();
        var socketA = Connect(call.CallId, call.PeerId!);
        socketA.Say(new ClientSignal(SignalKind.Offer, null, Frame("0")));
        var b = Join(call.CallId);
        for (var i = 1; i <= 5; i++) socketA.Say(new ClientSignal(SignalKind.IceCandidate, null, Frame(i.ToString())));

        var socketB = Connect(call.CallId, b.PeerId);
        var received = Enumerable.Range(0, 6).Select(_ => Encoding.UTF8.GetString(socketB.Expect<SignalEvent>().Frame)).ToArray();
        Assert.Equal(["0", "1", "2", "3", "4", "5"], received);
        AssertNoSignal(socketA);
    }

    [Fact]
    public void Held_frames_are_bounded_and_the_sender_is_told()
    {
        var call = Create();
        var socketA = Connect(call.CallId, call.PeerId!);
        for (var i = 0; i < 17; i++) socketA.Say(new ClientSignal(SignalKind.IceCandidate, null, Frame(i.ToString())));
        Assert.Equal(ErrorCodes.QueueFull, socketA.Expect<ErrorEvent>().Code);
    }

    [Fact]
    public void Relay_keeps_order_and_never_echoes()
    {
        var call = Create();
        var b = Join(call.CallId);
        var socketA = Connect(call.CallId, call.PeerId!);
        var socketB = Connect(call.CallId, b.PeerId);
        socketA.Expect<PeerConnectedEvent>();
        for (var i = 0; i < 200; i++) socketA.Say(new ClientSignal(SignalKind.IceCandidate, null, Frame(i.ToString())));
        for (var i = 0; i < 200; i++) Assert.Equal(i.ToString(), Encoding.UTF8.GetString(socketB.Expect<SignalEvent>().Frame));
        AssertNoSignal(socketA);
    }

    [Fact]
    public async Task Many_concurrent_joins_admit_exactly_up_to_capacity()
    {
        Client.Send(Calls, new CreateCall(TwoParty));
        var call = Client.ExpectMsg<CallCreated>();
        var replies = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ =>
            Task.Run(() => Calls.Ask<ICallReply>(new JoinCall(call.CallId), TimeSpan.FromSeconds(30)))));
        Assert.Equal(2, replies.OfType<CallJoined>().Count());
        Assert.Equal(62, replies.OfType<CallRefused>().Count(r => r.Reason == Refusal.Full));
    }

    [Fact]
    public void A_socket_that_asks_again_to_be_admitted_is_answered_alone_and_the_others_hear_no_second_join()
    {
        var call = Create();
        var b = Join(call.CallId).PeerId;
        var socketA = Connect(call.CallId, call.PeerId!);
        var socketB = Connect(call.CallId, b);
        socketA.Expect<PeerConnectedEvent>(e => e.PeerId == b);
        socketA.Expect<StateEvent>(e => e.Snapshot.ConnectedCount == 2);

        // B's socket thought its first request lost (a failing cluster) and asks again.
        Calls.Tell(new AttachPeer(call.CallId, b), socketB.Peer);
        socketB.Expect<StateEvent>();
        while (socketA.Events.ReceiveOne(TimeSpan.FromMilliseconds(300)) is { } heard)
            Assert.False(heard is PeerConnectedEvent or StateEvent, $"A heard {heard} again");
    }

    [Fact]
    public void A_joined_peer_who_never_connects_gives_the_slot_back()
    {
        var call = Create(TwoParty with { OnLeave = LeaveBehavior.KeepOpen });
        Connect(call.CallId, call.PeerId!);
        Join(call.CallId);
        Time.Advance(TwoParty.FirstConnectTimeout);
        AwaitCount(call.CallId, 1);
        Join(call.CallId);
    }

    [Fact]
    public void Frames_held_for_absent_participants_are_bounded_in_bytes_per_socket_and_per_node_and_released_on_delivery()
    {
        var budget = new PendingBudget(bytesPerSocket: 1000, bytesPerNode: 1500);
        var first = Create();
        var absent = Join(first.CallId);
        var a = Connect(first.CallId, first.PeerId!, budget: budget);
        var frame = new byte[400];
        for (var i = 0; i < 3; i++) a.Say(new ClientSignal(SignalKind.IceCandidate, null, frame));
        Assert.Equal(ErrorCodes.QueueFull, a.Expect<ErrorEvent>().Code); // the third would pass 1000 bytes for this socket
        Assert.Equal(800, budget.Held);

        var second = Create();
        Join(second.CallId);
        var c = Connect(second.CallId, second.PeerId!, budget: budget);
        c.Say(new ClientSignal(SignalKind.IceCandidate, null, new byte[600]));
        c.Say(new ClientSignal(SignalKind.IceCandidate, null, new byte[200]));
        Assert.Contains("server holds as many", c.Expect<ErrorEvent>().Message); // 1600 would pass the node's 1500
        Assert.Equal(1400, budget.Held);

        var b = Connect(first.CallId, absent.PeerId, budget: budget);
        Assert.Equal(2, Enumerable.Range(0, 2).Count(_ => b.Expect<SignalEvent>().Frame.Length == 400));
        AwaitAssert(() => Assert.Equal(600, budget.Held), TimeSpan.FromSeconds(3)); // A's frames delivered, their bytes given back
    }

    [Fact]
    public async Task Stopping_the_node_closes_every_socket_as_going_away()
    {
        var call = Create();
        var socket = Connect(call.CallId, call.PeerId!);
        await Sys.Terminate().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(CloseReason.ServerStopping, socket.Expect<ProbeConnection.Closed>().Reason);
    }

    private void AwaitCount(string callId, int expected) =>
        AwaitAssert(() => Assert.Equal(expected, Status(callId).Count), TimeSpan.FromSeconds(3));

}
