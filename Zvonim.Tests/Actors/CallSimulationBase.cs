using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Akka.Actor;
using Akka.TestKit;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>A node's actors with no web in front: calls driven by probes, sockets replaced by probe connections.</summary>
public abstract class CallSimulationBase : VirtualTimeTestKit
{
    protected static readonly RoomPolicy TwoParty = Policies.TwoParty;

    protected CallSimulationBase(ITestOutputHelper output) : base(output)
    {
        Calls = Sys.ActorOf(CallManager.Props(), CallManager.Name);
        Client = CreateTestProbe("client");
    }

    private int _sockets;

    protected IActorRef Calls { get; }

    /// <summary>Plays the HTTP side: sends commands and reads replies.</summary>
    protected TestProbe Client { get; }

    protected CallCreated Create(RoomPolicy? policy = null, bool withCreator = true)
    {
        Client.Send(Calls, new CreateCall(policy ?? TwoParty, withCreator ? new JoinAs(null) : null));
        return Settled(Client.ExpectMsg<CallCreated>(), c => c.CallId);
    }

    protected CallJoined Join(string callId)
    {
        Client.Send(Calls, new JoinCall(callId));
        return Settled(Client.ExpectMsg<CallJoined>(), _ => callId);
    }

    /// <summary>Akka re-arms an actor's receive timeout after the handler that replied has returned, so a test that
    /// moved the clock right after the reply could move it before the timer exists. A status query (which does not
    /// count as activity) is handled after that: once it is answered, the idle timer runs.</summary>
    private T Settled<T>(T reply, Func<T, string> callId)
    {
        Status(callId(reply));
        return reply;
    }

    /// <param name="calls">Where calls are asked: the node's manager unless given.</param>
    protected CallSnapshot Status(string callId, IActorRef? calls = null)
    {
        Client.Send(calls ?? Calls, new GetCall(callId));
        return Client.ExpectMsg<CallInfo>().Snapshot;
    }

    protected void AwaitStatus(string callId, CallStatus expected) =>
        AwaitAssert(() => Assert.Equal(expected, Status(callId).Status), TimeSpan.FromSeconds(3));

    protected void AwaitGone(string callId) => AwaitAssert(() =>
    {
        Client.Send(Calls, new GetCall(callId));
        Assert.Equal(Refusal.NotFound, Client.ExpectMsg<CallRefused>().Reason);
    }, TimeSpan.FromSeconds(3));

    /// <summary>Opens a "socket" for the peer and waits until the call admitted it (its first state push).</summary>
    protected Socket Connect(string callId, string peerId, bool expectAdmission = true, PendingBudget? budget = null, RelayLane? lane = null)
    {
        var probe = CreateTestProbe($"socket-{peerId[..4]}-{++_sockets}"); // a reconnect is a new probe
        var peer = Sys.ActorOf(PeerActor.Props(new AttachPeer(callId, peerId), Calls, new ProbeConnection(probe), pendingLimit: 16, budget, lane: lane));
        var socket = new Socket(peer, probe, lane);
        if (expectAdmission)
        {
            probe.ExpectMsg<WelcomeEvent>(w => w.PeerId == peerId);
            probe.ExpectMsg<StateEvent>();
        }
        return socket;
    }

    /// <param name="Lane">Set when the socket has a reader's short way (see <see cref="RelayLane"/>): what the client
    /// says then goes as a real reader sends it.</param>
    protected sealed record Socket(IActorRef Peer, TestProbe Events, RelayLane? Lane = null)
    {
        public void Say(object clientMessage)
        {
            if (Lane is not null) Lane.Pass(clientMessage, Peer);
            else Peer.Tell(clientMessage, ActorRefs.NoSender);
        }

        public void Drop() => Peer.Tell(new SocketClosed("dropped"), ActorRefs.NoSender);

        public T Expect<T>(Func<T, bool>? predicate = null) where T : class =>
            Events.FishForMessage<T>(m => predicate is null || predicate(m), TimeSpan.FromSeconds(3));
    }

    /// <summary>The socket may hear state and roster news, but no signalling frame.</summary>
    protected static void AssertNoSignal(Socket socket)
    {
        while (socket.Events.ReceiveOne(TimeSpan.FromMilliseconds(200)) is { } heard)
        {
            if (heard is SignalEvent echoed) Assert.Fail($"Unexpected frame: {System.Text.Encoding.UTF8.GetString(echoed.Frame)}");
        }
    }

    protected static byte[] Frame(string json) => System.Text.Encoding.UTF8.GetBytes(json);
}
