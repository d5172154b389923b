using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Peers;

/// <summary>
/// One WebSocket in one call. Asks the call to admit it, then relays the client's signalling frames to the other
/// participants' <see cref="PeerActor"/>s as they are (in order, never back to the sender) and passes the call's
/// news to its socket. Frames for a participant whose socket is not open yet are held, in order and bounded, and
/// delivered when it connects.
/// </summary>
public sealed class PeerActor : ReceiveActor
{
    private const string NextJoiner = "";

    private readonly AttachPeer _attach;
    private readonly IActorRef _calls;
    private readonly IPeerConnection _connection;
    private readonly int _pendingLimit;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef?> _others = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<SignalEvent>> _pending = new(StringComparer.Ordinal);
    private List<object>? _early; // client messages received before admission
    private IActorRef _call = ActorRefs.Nobody;
    private string _peerId;
    private bool _congested;            // this socket cannot take more for now
    private HashSet<string>? _slowPeers; // others whose sockets cannot; while any is, this client is not read

    public static Props Props(AttachPeer attach, IActorRef calls, IPeerConnection connection, int pendingLimit) =>
        ActorFactory.PropsOnce(() => new PeerActor(attach, calls, connection, pendingLimit));

    public PeerActor(AttachPeer attach, IActorRef calls, IPeerConnection connection, int pendingLimit)
    {
        _attach = attach;
        _calls = calls;
        _connection = connection;
        _pendingLimit = pendingLimit;
        _peerId = attach.PeerId ?? "(joining)";
        Handlers();
    }

    private string PeerId => _peerId;

    protected override void PreStart() => _calls.Tell(_attach, Self);

    /// <summary>However the actor ends (the node shutting down included), its socket does not outlive it. A socket
    /// already closed for a reason keeps that reason: only the first close counts.</summary>
    protected override void PostStop() => _connection.Close(CloseReason.ServerStopping, "The server is shutting down.");

    private bool Admitted => !_call.IsNobody();

    /// <summary>
    /// One set of handlers for the socket's whole life. Before the call admits the socket, what the client says is
    /// kept for after admission and a refusal closes the socket; after it, the call's news and the client's frames
    /// flow. (One behaviour rather than Become: Akka keeps an actor's first handler set for its whole life, and a node
    /// holds one PeerActor per socket.)
    /// </summary>
    private void Handlers()
    {
        Receive<PeerAdmitted>(OnAdmitted);
        Receive<CallRefused>(refused =>
        {
            if (Admitted)
            {
                _connection.Send(new ErrorEvent(ErrorCodes.For(refused.Reason), refused.Message));
                return;
            }
            _log.Info("Socket of peer {peer_id} refused by call {call_id}: {Reason}", PeerId, _attach.CallId, refused.Reason);
            _connection.Send(new ErrorEvent(ErrorCodes.For(refused.Reason), refused.Message));
            _connection.Close(CloseReason.Refused, refused.Message, refused.Reason);
            Context.Stop(Self);
        });
        Receive<SocketClosed>(_ => Context.Stop(Self));
        Receive<SocketCongestion>(congestion =>
        {
            _congested = congestion.Congested;
            if (Admitted) TellOthers(new PeerCongestion(PeerId, congestion.Congested));
        });
        // The client may speak before the call has answered; keep its words for after admission.
        Receive<ClientSignal>(OnClientMessage);
        Receive<ClientHello>(OnClientMessage);
        Receive<ClientLeave>(OnClientMessage);

        Receive<SignalEvent>(_connection.Send);
        Receive<CallInfo>(info => _connection.Send(new StateEvent(info.Snapshot)));
        Receive<CallLeft>(_ => { }); // RemovedFromCall closes the socket
        Receive<MemberJoined>(joined =>
        {
            if (joined.PeerId == PeerId) return;
            _others.TryAdd(joined.PeerId, null);
            // Frames sent while alone belong to whoever joins first.
            if (_pending.Remove(NextJoiner, out var early)) _pending[joined.PeerId] = early;
            _connection.Send(new MemberJoinedEvent(joined.PeerId, joined.DisplayName));
        });
        Receive<PeerConnected>(connected =>
        {
            _others[connected.PeerId] = connected.Peer;
            if (_pending.Remove(connected.PeerId, out var queued))
            {
                foreach (var signal in queued) connected.Peer.Tell(signal, Self);
            }
            _connection.Send(new PeerConnectedEvent(connected.PeerId, connected.DisplayName));
            if (_congested) connected.Peer.Tell(new PeerCongestion(PeerId, true), Self);
        });
        Receive<PeerDisconnected>(disconnected =>
        {
            if (_others.ContainsKey(disconnected.PeerId)) _others[disconnected.PeerId] = null;
            SetSlow(disconnected.PeerId, false);
        });
        Receive<MemberLeft>(left =>
        {
            _others.Remove(left.PeerId);
            _pending.Remove(left.PeerId);
            SetSlow(left.PeerId, false);
            _connection.Send(new PeerLeftEvent(left.PeerId));
        });
        Receive<PeerCongestion>(congestion =>
        {
            if (_others.ContainsKey(congestion.PeerId)) SetSlow(congestion.PeerId, congestion.Congested);
        });
        Receive<CallStateChanged>(changed => _connection.Send(new StateEvent(changed.Snapshot)));
        Receive<CallEnded>(ended =>
        {
            _connection.Send(new StateEvent(ended.Snapshot));
            _connection.Close(CloseReason.CallEnded, "The call has ended.");
            Context.Stop(Self);
        });
        Receive<RemovedFromCall>(removed =>
        {
            _connection.Send(new StateEvent(removed.Snapshot));
            _connection.Close(CloseReason.LeftCall, "You left the call.");
            Context.Stop(Self);
        });
        Receive<Superseded>(_ =>
        {
            _connection.Close(CloseReason.Superseded, "Replaced by a newer connection with the same peer_id.");
            Context.Stop(Self);
        });
    }

    private void OnAdmitted(PeerAdmitted admitted)
    {
        _call = Sender;
        _peerId = admitted.PeerId;
        foreach (var other in admitted.Others) _others[other.PeerId] = other.Peer;
        _connection.Send(new WelcomeEvent(admitted.PeerId, admitted.Snapshot));
        _connection.Send(new StateEvent(admitted.Snapshot));
        foreach (var other in admitted.Others.Where(o => o.Peer is not null))
            _connection.Send(new PeerConnectedEvent(other.PeerId, other.DisplayName, WasThereFirst: true));
        if (_congested) TellOthers(new PeerCongestion(PeerId, true));
        // Handled right here rather than re-sent to Self: later frames already in the mailbox must not overtake them.
        if (_early is null) return;
        foreach (var early in _early) OnClientMessage(early);
        _early = null;
    }

    private void TellOthers(object message)
    {
        foreach (var other in _others.Values) other?.Tell(message, Self);
    }

    private void SetSlow(string peerId, bool slow)
    {
        var wasPaused = _slowPeers is { Count: > 0 };
        if (slow) (_slowPeers ??= new HashSet<string>(StringComparer.Ordinal)).Add(peerId);
        else _slowPeers?.Remove(peerId);
        var paused = _slowPeers is { Count: > 0 };
        if (paused != wasPaused) _connection.PauseReading(paused);
    }

    private void OnClientMessage(object message)
    {
        if (!Admitted)
        {
            _early ??= [];
            if (_early.Count < _pendingLimit) _early.Add(message);
            return;
        }
        switch (message)
        {
            case ClientSignal signal:
                OnClientSignal(signal);
                break;
            case ClientHello:
                _call.Tell(new GetCall(_attach.CallId), Self);
                break;
            case ClientLeave:
                _call.Tell(new LeaveCall(_attach.CallId, PeerId), Self);
                break;
        }
    }

    private void OnClientSignal(ClientSignal signal)
    {
        var relayed = new SignalEvent(PeerId, signal.Kind, signal.Frame);
        if (signal.To is { } to)
        {
            if (to == PeerId)
                _connection.Send(new ErrorEvent(ErrorCodes.BadTarget, "A message cannot be addressed to its own sender."));
            else if (!_others.TryGetValue(to, out var target))
                _connection.Send(new ErrorEvent(ErrorCodes.BadTarget, $"Peer '{to}' is not in this call."));
            else
                DeliverOrHold(to, target, relayed);
            return;
        }
        if (_others.Count == 0)
        {
            Hold(NextJoiner, relayed);
            return;
        }
        foreach (var (peerId, target) in _others) DeliverOrHold(peerId, target, relayed);
    }

    private void DeliverOrHold(string peerId, IActorRef? target, SignalEvent signal)
    {
        if (target is not null) target.Tell(signal, Self);
        else Hold(peerId, signal);
    }

    private void Hold(string peerId, SignalEvent signal)
    {
        if (!_pending.TryGetValue(peerId, out var queue)) _pending[peerId] = queue = new Queue<SignalEvent>();
        if (queue.Count >= _pendingLimit)
        {
            _connection.Send(new ErrorEvent(ErrorCodes.QueueFull,
                $"{_pendingLimit} messages are already waiting for a participant who is not connected; this one was dropped."));
            return;
        }
        queue.Enqueue(signal);
    }
}

/// <summary>The <c>error</c> codes a socket can receive, shared by every dialect.</summary>
public static class ErrorCodes
{
    public const string NotFound = "not_found";
    public const string Full = "call_full";
    public const string Ended = "call_ended";
    public const string NotAParticipant = "unknown_peer";
    public const string BadJson = "invalid_json";
    public const string BadMessage = "invalid_message";
    public const string UnknownType = "unknown_type";
    public const string BadTarget = "invalid_target";
    public const string BadSender = "invalid_sender";
    public const string QueueFull = "queue_full";

    public static string For(Refusal refusal) => refusal switch
    {
        Refusal.Full => Full,
        Refusal.Ended => Ended,
        Refusal.NotAParticipant => NotAParticipant,
        _ => NotFound,
    };
}
