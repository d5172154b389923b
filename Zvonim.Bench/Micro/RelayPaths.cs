using Akka.Actor;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Bench.Bare;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Bench.Micro;

/// <summary>One way to relay a frame from one participant's socket to the other's, in process, without a network.</summary>
public interface IRelayPath : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Relays <paramref name="frame"/> <paramref name="count"/> times and completes when all were written.</summary>
    Task RelayBatchAsync(ReadOnlyMemory<byte> frame, int count);
}

/// <summary>
/// Zvonim's own path, as the WebSocket bridge runs it after a frame was read: Apiv2Dialect.Decode, Tell to the
/// sender's PeerActor, SignalEvent to the other PeerActor, its IPeerConnection. With <c>realWriter</c> that is a
/// real <see cref="SocketConnection"/> (encode, then sent inline or queued behind the send in flight) over a WebSocket that only counts;
/// without, a connection that only counts the events. The call is a real CallManager/CallActor admission.
/// </summary>
public sealed class ActorRelayPath : IRelayPath
{
    private readonly ActorSystem _system;
    private readonly IActorRef _sender;
    private readonly string _senderPeerId;
    private readonly Func<long, Task> _whenWritten;
    private readonly Func<long> _written;
    private readonly List<Task> _writers;
    private readonly RelayLane? _lane;

    private ActorRelayPath(string name, ActorSystem system, IActorRef sender, string senderPeerId, Func<long, Task> whenWritten, Func<long> written, List<Task> writers,
        RelayLane? lane)
    {
        _lane = lane;
        Name = name;
        _system = system;
        _sender = sender;
        _senderPeerId = senderPeerId;
        _whenWritten = whenWritten;
        _written = written;
        _writers = writers;
    }

    public string Name { get; }

    /// <param name="lane">Frames take the read loop's short way (<see cref="RelayLane"/>) once it opens, as a
    /// settled call's do; otherwise they go through both PeerActors.</param>
    public static async Task<ActorRelayPath> StartAsync(bool realWriter, bool lane = false)
    {
        var laneA = lane ? new RelayLane() : null;
        var system = BenchActors.Create("bench");
        var calls = system.ActorOf(CallManager.Props(), CallManager.Name);
        var timeout = TimeSpan.FromSeconds(10);
        var created = (CallCreated)await calls.Ask<ICallReply>(new CreateCall(new CallOptions().ToPolicy(), new JoinAs(null)), timeout).ConfigureAwait(false);
        var joined = (CallJoined)await calls.Ask<ICallReply>(new JoinCall(created.CallId, Kind: CallOptions.Kind), timeout).ConfigureAwait(false);
        var writers = new List<Task>();
        IPeerConnection connectionA, connectionB;
        CountingConnection countA, countB;
        NullWebSocket? socketB = null;
        if (realWriter)
        {
            var a = new SocketConnection(new NullWebSocket(), Apiv2Dialect.Instance, 1 << 20);
            socketB = new NullWebSocket();
            var b = new SocketConnection(socketB, Apiv2Dialect.Instance, 1 << 20);
            writers.Add(a.Completion);
            writers.Add(b.Completion);
            connectionA = countA = new CountingConnection(a);
            connectionB = countB = new CountingConnection(b);
        }
        else
        {
            connectionA = countA = new CountingConnection(null);
            connectionB = countB = new CountingConnection(null);
        }
        var peerA = system.ActorOf(PeerActor.Props(new AttachPeer(created.CallId, created.PeerId, Kind: CallOptions.Kind), calls, connectionA, 256, lane: laneA), "a");
        await countA.Admitted.WaitAsync(timeout).ConfigureAwait(false);
        system.ActorOf(PeerActor.Props(new AttachPeer(created.CallId, joined.PeerId, Kind: CallOptions.Kind), calls, connectionB, 256), "b");
        await countB.Admitted.WaitAsync(timeout).ConfigureAwait(false);
        await countA.PeerConnected.WaitAsync(timeout).ConfigureAwait(false);
        // The lane opens one message round trip after PeerConnected (OpenRoute, RouteOpened); nothing signals it.
        for (var waited = 0; laneA is { IsOpen: false } && waited < 10_000; waited++) await Task.Delay(1).ConfigureAwait(false);
        if (laneA is { IsOpen: false }) throw new TimeoutException("The relay lane did not open.");

        var via = lane ? "RelayLane" : "2 PeerActors";
        var name = realWriter ? $"zvonim: decode → {via} → SocketConnection → write" : $"zvonim: decode → {via} → connection";
        return socketB is not null
            ? new ActorRelayPath(name, system, peerA, created.PeerId!, socketB.WhenSignals, () => socketB.Signals, writers, laneA)
            : new ActorRelayPath(name, system, peerA, created.PeerId!, countB.WhenSignals, () => countB.Signals, writers, laneA);
    }

    public Task RelayBatchAsync(ReadOnlyMemory<byte> frame, int count)
    {
        var target = _written() + count;
        for (var i = 0; i < count; i++)
        {
            var inbound = Apiv2Dialect.Instance.Decode(frame.Span, _senderPeerId);
            if (_lane is not null) _lane.Pass(inbound.Message!, _sender);
            else _sender.Tell(inbound.Message!, ActorRefs.NoSender);
        }
        return _whenWritten(target);
    }

    public async ValueTask DisposeAsync()
    {
        await _system.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await Task.WhenAll(_writers).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }
}

/// <summary>The bare relay's path: find the type, write the same bytes to the other socket.</summary>
public sealed class BareRelayPath : IRelayPath
{
    private readonly NullWebSocket _socket = new();

    public string Name => "bare: type check → write";

    public async Task RelayBatchAsync(ReadOnlyMemory<byte> frame, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (BareRelay.TypeOf(frame.Span) is >= 0 and <= 2)
                await _socket.SendAsync(frame, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
