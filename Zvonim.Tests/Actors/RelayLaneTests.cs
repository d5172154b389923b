using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;

namespace Zvonim.Tests.Actors;

/// <summary>
/// The reader's short way (<see cref="RelayLane"/>): open only while the call is settled, and whichever way a frame
/// goes, every participant gets every frame meant for it, once, in the order it was sent.
/// </summary>
public sealed class RelayLaneTests(ITestOutputHelper output) : CallSimulationBase(output)
{
    private (Socket A, Socket B, string CallId, string BPeerId) ConnectedPair()
    {
        var call = Create(TwoParty with { Capacity = 3 });
        var joined = Join(call.CallId);
        var a = Connect(call.CallId, call.PeerId!, lane: new RelayLane());
        var b = Connect(call.CallId, joined.PeerId, lane: new RelayLane());
        a.Expect<PeerConnectedEvent>();
        return (a, b, call.CallId, joined.PeerId);
    }

    private static ClientSignal Candidate(int n, string? to = null) => new(SignalKind.IceCandidate, to, Frame($$"""{"n":{{n}}}"""));

    private static int Number(SignalEvent signal) => System.Text.Json.JsonDocument.Parse(signal.Frame).RootElement.GetProperty("n").GetInt32();

    private void AwaitLane(Socket socket, bool open) =>
        AwaitCondition(() => socket.Lane!.IsOpen == open, TimeSpan.FromSeconds(3), $"lane {(open ? "open" : "closed")}");

    [Fact]
    public void Once_both_sockets_are_connected_frames_go_the_short_way_and_arrive_in_order()
    {
        var (a, b, _, _) = ConnectedPair();
        AwaitLane(a, open: true);
        AwaitLane(b, open: true);

        for (var i = 0; i < 50; i++) a.Say(Candidate(i));
        for (var i = 0; i < 50; i++) Assert.Equal(i, Number(b.Expect<SignalEvent>()));
        b.Say(Candidate(7));
        Assert.Equal(7, Number(a.Expect<SignalEvent>()));
    }

    [Fact]
    public void The_lane_never_lets_a_frame_overtake_one_still_with_the_actor()
    {
        var probe = CreateTestProbe();
        var receiver = CreateTestProbe();
        var lane = new RelayLane();
        lane.Open(new RelayLane.Targets("a", [("b", new ProbeConnection(receiver))]));

        lane.Pass(new ClientHello(), probe.Ref); // with the actor, not handled yet
        Assert.False(lane.TryRelay(Candidate(1)));
        lane.Handled();
        Assert.True(lane.TryRelay(Candidate(2)));
        Assert.Equal(2, Number(receiver.ExpectMsg<SignalEvent>()));
        Assert.False(lane.TryRelay(Candidate(3, to: "nobody"))); // the actor answers that with an error
    }

    [Fact]
    public void A_newcomer_closes_the_lane_and_gets_the_frames_said_before_its_socket_opened()
    {
        var (a, b, callId, _) = ConnectedPair();
        AwaitLane(a, open: true);
        var carol = Join(callId);
        a.Expect<MemberJoinedEvent>(j => j.PeerId == carol.PeerId);
        Assert.False(a.Lane!.IsOpen);

        for (var i = 0; i < 5; i++) a.Say(Candidate(i));
        for (var i = 0; i < 5; i++) Assert.Equal(i, Number(b.Expect<SignalEvent>()));
        var c = Connect(callId, carol.PeerId, lane: new RelayLane());
        for (var i = 0; i < 5; i++) Assert.Equal(i, Number(c.Expect<SignalEvent>()));

        AwaitLane(a, open: true);
        a.Say(Candidate(5));
        Assert.Equal(5, Number(b.Expect<SignalEvent>()));
        Assert.Equal(5, Number(c.Expect<SignalEvent>()));
    }

    [Fact]
    public void A_dropped_receiver_closes_the_lane_and_its_new_socket_gets_what_was_said_meanwhile()
    {
        var (a, b, callId, bPeerId) = ConnectedPair();
        AwaitLane(a, open: true);
        b.Drop();
        AwaitLane(a, open: false);

        for (var i = 0; i < 3; i++) a.Say(Candidate(i));
        var again = Connect(callId, bPeerId, lane: new RelayLane());
        for (var i = 0; i < 3; i++) Assert.Equal(i, Number(again.Expect<SignalEvent>()));
        AwaitLane(a, open: true);
    }

    [Fact]
    public void A_socket_whose_call_is_lost_stops_using_the_lane()
    {
        var (a, _, _, _) = ConnectedPair();
        AwaitLane(a, open: true);
        a.Peer.Tell(new Superseded(), ActorRefs.NoSender);
        a.Expect<ProbeConnection.Closed>();
        Assert.False(a.Lane!.IsOpen);
    }

    [Fact]
    public async Task The_reader_stops_while_a_backlog_of_its_messages_waits_for_the_actor_and_reads_on_when_half_is_done()
    {
        var actor = CreateTestProbe();
        var lane = new RelayLane();
        for (var i = 0; i < RelayLane.Backlog - 1; i++) lane.Pass(Candidate(i), actor.Ref);
        Assert.True(lane.WhenCaughtUp().IsCompleted);
        lane.Pass(Candidate(RelayLane.Backlog), actor.Ref);

        var waiting = lane.WhenCaughtUp();
        Assert.False(waiting.IsCompleted);
        for (var i = 0; i < RelayLane.Backlog / 2 - 1; i++) lane.Handled();
        Assert.False(waiting.IsCompleted);
        lane.Handled();
        await waiting.WaitAsync(TimeSpan.FromSeconds(3)); // let go once the actor has worked off half
        Assert.True(lane.WhenCaughtUp().IsCompleted);
    }

    [Fact]
    public void With_the_short_way_off_the_lane_never_opens_and_frames_arrive_in_order_through_the_actors()
    {
        var call = Create(TwoParty);
        var joined = Join(call.CallId);
        var a = Connect(call.CallId, call.PeerId!, lane: new RelayLane(shortWay: false));
        var b = Connect(call.CallId, joined.PeerId, lane: new RelayLane(shortWay: false));
        a.Expect<PeerConnectedEvent>();

        for (var i = 0; i < 100; i++) a.Say(Candidate(i));
        for (var i = 0; i < 100; i++) Assert.Equal(i, Number(b.Expect<SignalEvent>()));
        Assert.False(a.Lane!.IsOpen);
        Assert.False(b.Lane!.IsOpen);
        // b's actor answers for the frames it queued before a's route to it opened: then a's reader is caught up.
        AwaitCondition(() => a.Lane.WhenCaughtUp().IsCompleted, TimeSpan.FromSeconds(3), "a's reader caught up");
        a.Lane.Open(new RelayLane.Targets("a", [("b", new ProbeConnection(CreateTestProbe()))]));
        Assert.False(a.Lane.IsOpen); // whatever the actor offers
        var elsewhere = CreateTestProbe();
        for (var i = 0; i < RelayLane.Backlog * 2; i++) a.Lane.Pass(new PeerCongestion("b", true), elsewhere.Ref); // never acknowledged
        Assert.True(a.Lane.WhenCaughtUp().IsCompleted);
    }

    /// <summary>a and b connected with the short way off, and a third participant "c" whose actor is a probe that
    /// answers only when told: a busy actor, its mailbox full of a's frames.</summary>
    private (Socket A, Socket B, TestProbe C) PairAndASlowActor() => PairAndASlowActor(out _, out _, out _);

    private (Socket A, Socket B, TestProbe C) PairAndASlowActor(out string callId, out string aPeerId, out string bPeerId)
    {
        var call = Create(TwoParty with { Capacity = 3 });
        (callId, aPeerId) = (call.CallId, call.PeerId!);
        var joined = Join(call.CallId);
        var a = Connect(call.CallId, call.PeerId!, lane: new RelayLane(shortWay: false));
        var b = Connect(call.CallId, joined.PeerId, lane: new RelayLane(shortWay: false));
        bPeerId = joined.PeerId;
        a.Expect<PeerConnectedEvent>();
        var c = CreateTestProbe();
        a.Peer.Tell(new PeerConnected("c", null, c.Ref), ActorRefs.NoSender);
        c.ExpectMsg<OpenRoute>();
        return (a, b, c);
    }

    [Fact]
    public async Task Frames_waiting_in_a_receivers_mailbox_hold_the_reader_back_until_that_receiver_has_queued_them()
    {
        var (a, b, c) = PairAndASlowActor();
        for (var i = 0; i < RelayLane.Backlog; i++) a.Say(Candidate(i));
        for (var i = 0; i < RelayLane.Backlog; i++) Assert.Equal(i, Number(b.Expect<SignalEvent>()));
        for (var i = 0; i < RelayLane.Backlog; i++) Assert.Equal(i, Number(c.ExpectMsg<SignalEvent>()));

        // a's actor has handled every frame, but c's has not queued them: the reader must not read on.
        var reader = a.Lane!.WhenCaughtUp();
        Assert.False(reader.IsCompleted);
        // c's first answer was given before it took the frames (they came after the question): still held, and asked again.
        a.Peer.Tell(new RouteOpened("c", new ProbeConnection(CreateTestProbe())), c.Ref);
        c.ExpectMsg<OpenRoute>();
        Assert.False(reader.IsCompleted);
        // The second answer comes after them.
        a.Peer.Tell(new RouteOpened("c", new ProbeConnection(CreateTestProbe())), c.Ref);
        await reader.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_socket_admitted_again_while_a_question_is_out_asks_no_second_one_and_its_reader_is_let_go()
    {
        var (a, b, c) = PairAndASlowActor(out var callId, out var aPeerId, out var bPeerId);
        for (var i = 0; i < RelayLane.Backlog; i++) a.Say(Candidate(i));
        c.ReceiveN(RelayLane.Backlog);
        var reader = a.Lane!.WhenCaughtUp();

        // In a cluster a retried attach can be answered twice: the call admits the socket again, c connected.
        Client.Send(Calls, new GetCall(callId));
        var snapshot = Client.ExpectMsg<CallInfo>().Snapshot;
        var call = Client.LastSender;
        a.Peer.Tell(new PeerAdmitted(callId, aPeerId, snapshot, [new PeerLink(bPeerId, null, b.Peer), new PeerLink("c", null, c.Ref)]), call);
        a.Expect<WelcomeEvent>();

        var sink = new ProbeConnection(CreateTestProbe());
        a.Peer.Tell(new RouteOpened("c", sink), c.Ref); // the answer to the question asked before the frames
        c.FishForMessage(m => m is OpenRoute);          // asked again, behind them (past a's news of its congestion)
        a.Peer.Tell(new RouteOpened("c", sink), c.Ref);
        await reader.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_receiver_that_leaves_without_answering_no_longer_holds_the_reader_back()
    {
        var (a, _, c) = PairAndASlowActor();
        for (var i = 0; i < RelayLane.Backlog; i++) a.Say(Candidate(i));
        c.ReceiveN(RelayLane.Backlog);
        var reader = a.Lane!.WhenCaughtUp();
        Assert.False(reader.IsCompleted);

        a.Peer.Tell(new MemberLeft("c"), ActorRefs.NoSender);
        await reader.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_frame_told_to_two_receivers_counts_as_read_once_both_have_answered_a_question_asked_after_it()
    {
        var lane = new RelayLane(shortWay: false);
        var routes = new PeerRoutes();
        var actor = CreateTestProbe();
        var sink = new ProbeConnection(CreateTestProbe());
        routes.Asked("b");
        routes.Asked("c");
        for (var i = 0; i < RelayLane.Backlog; i++)
        {
            lane.Pass(Candidate(i), actor.Ref); // the reader counts it
            PeerRoutes.Unqueued? frame = null;
            routes.WentByMessage("b", lane, ref frame);
            routes.WentByMessage("c", lane, ref frame);
        }
        var reader = lane.WhenCaughtUp();

        // Both answer the questions asked before the frames, and are asked again behind them.
        Assert.Equal(PeerRoutes.Answer.AskAgain, routes.Answered("b", sink));
        routes.Asked("b");
        Assert.Equal(PeerRoutes.Answer.AskAgain, routes.Answered("c", sink));
        routes.Asked("c");
        Assert.False(reader.IsCompleted);
        Assert.Equal(PeerRoutes.Answer.Direct, routes.Answered("b", sink)); // b has queued them, c not yet
        Assert.False(reader.IsCompleted);
        Assert.Equal(PeerRoutes.Answer.Direct, routes.Answered("c", sink));
        await reader.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_socket_whose_answer_a_frame_may_have_overtaken_is_asked_again_but_watched_for_congestion_at_once()
    {
        var receiver = CreateTestProbe();
        var sink = new ProbeConnection(receiver);
        var routes = new PeerRoutes();
        routes.Asked("b");
        PeerRoutes.Unqueued? uncounted = null;
        routes.WentByMessage("b", countedBy: null, ref uncounted);

        Assert.Equal(PeerRoutes.Answer.AskAgain, routes.Answered("b", sink));
        Assert.False(routes.TrySend("b", new SignalEvent("a", SignalKind.IceCandidate, Frame("{}")), out _));
        Assert.Same(sink, Assert.Single(routes.Watched()));

        routes.Asked("b");
        Assert.Equal(PeerRoutes.Answer.Direct, routes.Answered("b", sink));
        Assert.True(routes.TrySend("b", new SignalEvent("a", SignalKind.IceCandidate, Frame("""{"n":1}""")), out _));
        Assert.Equal(1, Number(receiver.ExpectMsg<SignalEvent>()));
        Assert.Equal(PeerRoutes.Answer.Ignored, routes.Answered("b", sink)); // not asked

        routes.Forget("b");
        Assert.Empty(routes.Watched());
        Assert.Equal(0, routes.DirectCount);
    }
}
