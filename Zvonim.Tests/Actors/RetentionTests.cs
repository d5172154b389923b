using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Tests.Actors;

/// <summary>
/// An ended call is kept for <see cref="RoomPolicy.EndedRetention"/> to answer status, and it has seen its peers'
/// PeerActors as senders and in its maps. Those must not keep a closed socket alive: in the setup benchmarks that
/// was about 41 KB per ended call (the whole Kestrel connection).
/// </summary>
public sealed class RetentionTests(ITestOutputHelper output) : CallSimulationBase(output)
{
    /// <summary>Stands for a socket and its connection: something heavy that only the PeerActor holds.</summary>
    private sealed class HeavyConnection(IPeerConnection inner) : IPeerConnection
    {
        public readonly byte[] Bytes = new byte[256 * 1024];

        public void Send(PeerEvent peerEvent) => inner.Send(peerEvent);

        public void Close(CloseReason reason, string message, Refusal? refusal = null) => inner.Close(reason, message, refusal);

        public void PauseReading(bool paused) => inner.PauseReading(paused);
    }

    /// <summary>Stands for a cluster's call entity, which keeps an ended call's actor for its retention (a single node
    /// keeps only its record): one call, every command forwarded to it.</summary>
    private sealed class KeepsEndedCall : UntypedActor
    {
        private IActorRef? _call;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case CreateCall create when _call is null:
                    _call = Context.ActorOf(CallActor.Props(Zvonim.Actors.Ids.New(), create.Policy), "call");
                    _call.Forward(create);
                    break;
                case ICallCommand command when _call is not null:
                    _call.Forward(command);
                    break;
            }
        }
    }

    private (IActorRef Keeper, CallCreated Call) CreateKept()
    {
        var keeper = Sys.ActorOf(Props.Create<KeepsEndedCall>());
        Client.Send(keeper, new CreateCall(TwoParty, new JoinAs(null)));
        return (keeper, Client.ExpectMsg<CallCreated>());
    }

    [Fact]
    public void An_ended_call_kept_for_status_does_not_keep_its_closed_sockets_alive()
    {
        var (keeper, call) = CreateKept();
        var (peer, events, connection) = ConnectHeavy(keeper, call.CallId, call.PeerId!);
        events.ExpectMsg<WelcomeEvent>(TimeSpan.FromSeconds(3));
        var watcher = CreateTestProbe();
        watcher.Watch(peer);

        peer.Tell(new ClientLeave(), ActorRefs.NoSender); // the call's last sender is this PeerActor
        watcher.ExpectTerminated(peer, TimeSpan.FromSeconds(3));
        Assert.Equal(CallStatus.Ended, Status(call.CallId, keeper).Status); // still answering, inside its retention

        AwaitCollected(connection);
        GC.KeepAlive(peer); // a ref to the stopped actor is still held, as the call holds one
    }

    [Fact]
    public void Ended_calls_do_not_count_toward_the_nodes_limit_and_past_as_many_ended_the_oldest_retires_and_is_forgotten()
    {
        var store = CreateTestProbe("store");
        var calls = Sys.ActorOf(CallManager.Props(store, [], maxCalls: 2));
        CallCreated Start()
        {
            Client.Send(calls, new CreateCall(TwoParty, new JoinAs(null)));
            return Client.ExpectMsg<CallCreated>();
        }
        void End(CallCreated call)
        {
            Client.Send(calls, new LeaveCall(call.CallId, call.PeerId!));
            Assert.Equal(CallStatus.Ended, Client.ExpectMsg<CallLeft>().Snapshot.Status);
        }
        CallStatus? StatusOf(CallCreated call)
        {
            Client.Send(calls, new GetCall(call.CallId));
            return Client.ExpectMsg<ICallReply>() is CallInfo info ? info.Snapshot.Status : null;
        }

        var (first, second) = (Start(), Start());
        End(first);
        End(second);
        var (third, fourth) = (Start(), Start()); // the two ended ones leave room for two running ones
        Client.Send(calls, new CreateCall(TwoParty, new JoinAs(null)));
        Assert.Equal(Refusal.AtCapacity, Client.ExpectMsg<CallRefused>().Reason);
        Assert.Equal(CallStatus.Ended, StatusOf(first));
        Assert.Equal(CallStatus.Waiting, StatusOf(fourth));

        End(third); // a third ended call, one more than the node holds: the oldest makes way
        Assert.Null(StatusOf(first));
        Assert.Equal(CallStatus.Ended, StatusOf(second));
        Assert.Equal(CallStatus.Ended, StatusOf(third));
        store.FishForMessage<Zvonim.Actors.Cluster.ForgetCall>(f => f.CallId == first.CallId, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void An_ended_call_kept_for_status_does_not_keep_the_stopped_socket_actor_that_ended_it()
    {
        var (keeper, call) = CreateKept();
        var socketActor = LeaveAndStop(keeper, call);
        AwaitCollected(socketActor); // nobody has asked the call anything since
        Assert.Equal(CallStatus.Ended, Status(call.CallId, keeper).Status);
    }

    [Fact]
    public void Someone_who_leaves_an_ended_call_is_gone_from_its_record_and_cannot_leave_twice()
    {
        var call = Create();
        var joined = Join(call.CallId);
        Client.Send(Calls, new LeaveCall(call.CallId, call.PeerId!));
        Assert.Equal(CallStatus.Ended, Client.ExpectMsg<CallLeft>().Snapshot.Status);

        Client.Send(Calls, new LeaveCall(call.CallId, joined.PeerId));
        Assert.DoesNotContain(Client.ExpectMsg<CallLeft>().Snapshot.Participants, p => p.PeerId == joined.PeerId);
        AwaitAssert(() => Assert.DoesNotContain(Status(call.CallId).Participants, p => p.PeerId == joined.PeerId), TimeSpan.FromSeconds(3));
        Client.Send(Calls, new LeaveCall(call.CallId, joined.PeerId));
        Assert.Equal(Refusal.NotAParticipant, Client.ExpectMsg<CallRefused>().Reason);
    }

    [Fact]
    public async Task An_ended_call_is_held_as_its_record_its_actor_stops_and_it_still_answers_as_the_call_would()
    {
        var call = Create();
        var joined = Join(call.CallId);
        var actor = await Sys.ActorSelection(Calls.Path / call.CallId).ResolveOne(TimeSpan.FromSeconds(3));
        var watcher = CreateTestProbe();
        watcher.Watch(actor);

        Client.Send(Calls, new LeaveCall(call.CallId, call.PeerId!));
        Assert.Equal(CallStatus.Ended, Client.ExpectMsg<CallLeft>().Snapshot.Status);
        watcher.ExpectTerminated(actor, TimeSpan.FromSeconds(3)); // nothing of the call runs any more

        var status = Status(call.CallId);
        Assert.Equal(CallStatus.Ended, status.Status);
        Assert.Contains(status.Participants, p => p.PeerId == joined.PeerId);
        var knockedAfter = TimeSpan.FromMinutes(2);
        Time.Advance(knockedAfter);
        Client.Send(Calls, new JoinCall(call.CallId));
        Assert.Equal(Refusal.Ended, Client.ExpectMsg<CallRefused>().Reason); // the call's own answer, from its record
        var socket = Connect(call.CallId, joined.PeerId, expectAdmission: false);
        Assert.Equal(Refusal.Ended, socket.Expect<ProbeConnection.Closed>().Refusal);
        Assert.Equal(CallStatus.Ended, Status(call.CallId).Status); // answering did not end or renew anything

        Time.Advance(TwoParty.EndedRetention - knockedAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(CallStatus.Ended, Status(call.CallId).Status);
        Time.Advance(TimeSpan.FromSeconds(1)); // knocking did not put off its retirement
        AwaitGone(call.CallId);
    }

    [Fact]
    public void A_call_with_a_shorter_retention_that_ended_later_retires_on_its_own_date()
    {
        var brief = TwoParty with { EndedRetention = TimeSpan.FromMinutes(1) };
        var (longer, shorter) = (Create(), Create(brief));
        foreach (var call in new[] { longer, shorter })
        {
            Client.Send(Calls, new LeaveCall(call.CallId, call.PeerId!));
            Client.ExpectMsg<CallLeft>();
        }

        Time.Advance(brief.EndedRetention);
        AwaitGone(shorter.CallId);
        Assert.Equal(CallStatus.Ended, Status(longer.CallId).Status);
        Time.Advance(TwoParty.EndedRetention - brief.EndedRetention);
        AwaitGone(longer.CallId);
    }

    /// <summary>A socket that leaves (its PeerActor is the sender of the leave that ends the call) and stops; the
    /// stopped actor's cell, weakly.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference LeaveAndStop(IActorRef calls, CallCreated call)
    {
        var events = CreateTestProbe();
        var peer = Sys.ActorOf(PeerActor.Props(new AttachPeer(call.CallId, call.PeerId!), calls, new ProbeConnection(events), pendingLimit: 16));
        events.ExpectMsg<WelcomeEvent>(TimeSpan.FromSeconds(3));
        var watcher = CreateTestProbe();
        watcher.Watch(peer);
        peer.Tell(new ClientLeave(), ActorRefs.NoSender);
        watcher.ExpectTerminated(peer, TimeSpan.FromSeconds(3));
        var cell = new WeakReference(((ActorRefWithCell)peer).Underlying);
        // The probes keep what they received last, and the socket's events came from its actor: let go of those.
        foreach (var probe in new[] { events, watcher })
        {
            probe.ReceiveWhile<object>(TimeSpan.FromMilliseconds(100), m => m);
            probe.Ref.Tell("nothing", ActorRefs.NoSender);
            probe.ExpectMsg("nothing");
        }
        return cell;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (IActorRef Peer, TestProbe Events, WeakReference Connection) ConnectHeavy(IActorRef calls, string callId, string peerId)
    {
        var events = CreateTestProbe();
        var connection = new HeavyConnection(new ProbeConnection(events));
        var peer = Sys.ActorOf(PeerActor.Props(new AttachPeer(callId, peerId), calls, connection, pendingLimit: 16));
        return (peer, events, new WeakReference(connection));
    }

    /// <summary>The actor's cell lets go of its state just after it tells its watchers: collect until that has happened.</summary>
    private void AwaitCollected(WeakReference weak) => AwaitAssert(() =>
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(weak.IsAlive, "what the closed socket held is still reachable");
    }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
}
