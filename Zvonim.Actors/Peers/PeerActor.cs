using System.Diagnostics;
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
public sealed class PeerActor : UntypedActor
{
    private const string NextJoiner = "";

    private static readonly TimeSpan DefaultAttachRetry = TimeSpan.FromSeconds(1);

    /// <summary>The socket's own timer: never leaves its node.</summary>
    private sealed class RetryAttach : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly RetryAttach Instance = new();
    }

    private readonly AttachPeer _attach;
    private readonly IActorRef _calls;
    private readonly IPeerConnection _connection;
    private readonly int _pendingLimit;
    private readonly PendingBudget _budget;
    private long _heldBytes; // of this socket's held frames, all of them counted in _budget too
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef?> _others = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<SignalEvent>> _pending = new(StringComparer.Ordinal);
    private readonly PeerRoutes _routes = new(); // others' sockets on this node, written to directly (see RelayLane)
    private readonly RelayLane? _lane;
    private List<object>? _early; // client messages received before admission
    private IActorRef _call = ActorRefs.Nobody;
    private string _peerId;
    private bool _congested;            // this socket cannot take more for now
    private bool _attaching;            // asked to be admitted, no answer yet (first time, or after its call stopped)
    private readonly TimeSpan? _attachRetry;
    private bool _admittedOnce;

    /// <summary>The "try again" answer, in a row and a second apart, on which a socket coming back to its moved call is
    /// closed "try again" as a first attach would be.</summary>
    internal const int GiveUpComingBackAfter = 60;

    private int _refusedComingBack;
    private readonly long _started = Stopwatch.GetTimestamp();
    private ICancelable? _retry;
    private HashSet<string>? _slowPeers; // others whose sockets cannot; while any is, this client is not read
    private RelayLane? _countedBy;           // while handling one of the reader's counted messages: whose count it is
    private PeerRoutes.Unqueued? _unqueued;  // that message, told by message to actors with a question out

    /// <param name="pendingLimit">Frames held for participants not connected yet (and said before admission).</param>
    /// <param name="budget">Bytes those frames may take, per socket and per node; unlimited if null.</param>
    /// <param name="attachRetry">In a cluster, where a request can be lost while a node is failing: how often the socket
    /// asks again until its call answers. On one node the call always answers, and nothing is asked twice.</param>
    /// <param name="lane">Shared with the socket's reader, which then relays frames itself while the call is settled.</param>
    public static Props Props(AttachPeer attach, IActorRef calls, IPeerConnection connection, int pendingLimit, PendingBudget? budget = null,
        TimeSpan? attachRetry = null, RelayLane? lane = null) =>
        ActorFactory.PropsOnce(() => new PeerActor(attach, calls, connection, pendingLimit, budget ?? PendingBudget.Unlimited, attachRetry, lane));

    public PeerActor(AttachPeer attach, IActorRef calls, IPeerConnection connection, int pendingLimit, PendingBudget budget, TimeSpan? attachRetry = null,
        RelayLane? lane = null)
    {
        _lane = lane;
        _attachRetry = attachRetry;
        _budget = budget;
        _attach = attach;
        _calls = calls;
        _connection = connection;
        _pendingLimit = pendingLimit;
        _peerId = attach.PeerId ?? "(joining)";
    }

    private string PeerId => _peerId;

    protected override void PreStart()
    {
        _attaching = true;
        // The retry is timed before the request goes: whoever answers it finds the next one already on the clock.
        if (_attachRetry is { } every) _retry = Context.System.Scheduler.ScheduleTellOnceCancelable(every, Self, RetryAttach.Instance, Self);
        _calls.Tell(_attach, Self);
    }

    /// <summary>However the actor ends (the node shutting down included), its socket does not outlive it. A socket
    /// already closed for a reason keeps that reason: only the first close counts.</summary>
    protected override void PostStop()
    {
        _lane?.Open(null);
        _lane?.Release();
        _connection.Close(CloseReason.ServerStopping, "The server is shutting down.");
        Release(_heldBytes);
        _retry?.Cancel();
    }

    private void Release(long bytes)
    {
        if (bytes == 0) return;
        _heldBytes -= bytes;
        _budget.Give(bytes);
    }

    private static long BytesOf(IEnumerable<SignalEvent> frames) => frames.Sum(f => (long)f.Frame.Length);

    private static long BytesOf(object clientMessage) => clientMessage is ClientSignal signal ? signal.Frame.Length : 0;

    private bool Admitted => !_call.IsNobody();

    /// <summary>
    /// One behaviour for the socket's whole life, matched with a switch: a node makes a PeerActor per socket, and a
    /// <c>ReceiveActor</c> builds its handler table per instance (measured: about 7 KB allocated and 70 µs per actor
    /// with 15 handlers, against 5.7 KB and 30 µs for this). Before the call admits the socket, what the client says
    /// is kept for after admission and a refusal closes the socket; after it, the call's news and the client's
    /// frames flow. Relayed frames, the hottest message, come first.
    /// </summary>
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SignalEvent signal:
                _connection.Send(signal);
                break;
            case var fromClient when RelayLane.IsCounted(fromClient):
                _countedBy = _lane;
                try
                {
                    OnClientMessage(fromClient);
                }
                finally // a message that failed is handled too: a count never given back would stop the reader for good
                {
                    // A frame still in a receiver's mailbox is handled once that receiver has queued it (PeerRoutes).
                    if (_unqueued is not { Awaited: > 0 }) _lane?.Handled();
                    _unqueued = null;
                    _countedBy = null;
                    _connection.ClientMessageHandled();
                }
                break;
            case OpenRoute:
                // Only a welcomed socket is written to directly: its client must hear who it is before any frame.
                if (Admitted) Sender.Tell(new RouteOpened(PeerId, _connection), Self);
                break;
            case RouteOpened opened:
                OnRouteOpened(opened);
                break;
            case PeerCongestion congestion:
                if (_others.ContainsKey(congestion.PeerId)) SetSlow(congestion.PeerId, congestion.Congested);
                break;
            case SocketCongestion congestion:
                _congested = congestion.Congested;
                if (Admitted) TellOthers(new PeerCongestion(PeerId, congestion.Congested));
                break;
            case PeerAdmitted admitted:
                OnAdmitted(admitted);
                break;
            case CallRefused refused:
                OnRefused(refused);
                break;
            case SocketClosed:
                Context.Stop(Self);
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _call):
                OnCallLost();
                break;
            case RetryAttach:
                Reattach();
                break;
            case CallInfo info:
                _connection.Send(new StateEvent(info.Snapshot));
                break;
            case CallStateChanged changed:
                _connection.Send(new StateEvent(changed.Snapshot));
                break;
            case CallLeft:
                break; // RemovedFromCall closes the socket
            case MemberJoined joined:
                OnMemberJoined(joined);
                break;
            case PeerConnected connected:
                OnPeerConnected(connected);
                break;
            case PeerDisconnected disconnected:
                if (_others.ContainsKey(disconnected.PeerId)) _others[disconnected.PeerId] = null;
                ForgetRoute(disconnected.PeerId);
                SetSlow(disconnected.PeerId, false);
                break;
            case MemberLeft left:
                _others.Remove(left.PeerId);
                ForgetRoute(left.PeerId);
                if (_pending.Remove(left.PeerId, out var dropped)) Release(BytesOf(dropped));
                SetSlow(left.PeerId, false);
                _connection.Send(new PeerLeftEvent(left.PeerId));
                break;
            case CallEnded ended:
                _connection.Send(new StateEvent(ended.Snapshot));
                CloseAndStop(CloseReason.CallEnded, "The call has ended.");
                break;
            case RemovedFromCall removed:
                _connection.Send(new StateEvent(removed.Snapshot));
                CloseAndStop(CloseReason.LeftCall, "You left the call.");
                break;
            case Superseded:
                CloseAndStop(CloseReason.Superseded, "Replaced by a newer connection with the same peer_id.");
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRefused(CallRefused refused)
    {
        if (_attaching && _admittedOnce && refused.Reason == Refusal.AtCapacity && ++_refusedComingBack < GiveUpComingBackAfter)
        {
            // Coming back after the call's node died, and its record cannot be read just now (a brought-back call always
            // gets its place, so this is the only "try again" here): the socket keeps asking every second, as it does
            // while the cluster moves the call, rather than drop a participant the call still holds a place for. At a
            // minute it is closed "try again" like any refused socket: the call's graces have run out by then. Not a
            // refusal in the metrics until then.
            if (_refusedComingBack == 1)
                _log.Warning("Call {call_id} of peer {peer_id} cannot be taken up again yet ({Message}); asking every second", _attach.CallId, PeerId, refused.Message);
            return;
        }
        Telemetry.ZvonimMetrics.Refusals.Add(1, new KeyValuePair<string, object?>("reason", refused.Reason.ToString()));
        _connection.Send(new ErrorEvent(ErrorCodes.For(refused.Reason), refused.Message));
        if (Admitted) return; // a refused hello or leave: the socket goes on
        _log.Info("Socket of peer {peer_id} refused by call {call_id}: {Reason}", PeerId, _attach.CallId, refused.Reason);
        _connection.Close(CloseReason.Refused, refused.Message, refused.Reason);
        Context.Stop(Self);
    }

    private void OnMemberJoined(MemberJoined joined)
    {
        if (joined.PeerId == PeerId) return;
        _others.TryAdd(joined.PeerId, null);
        UpdateLane();
        // Frames sent while alone belong to whoever joins first.
        if (_pending.Remove(NextJoiner, out var early)) _pending[joined.PeerId] = early;
        _connection.Send(new MemberJoinedEvent(joined.PeerId, joined.DisplayName));
    }

    private void OnPeerConnected(PeerConnected connected)
    {
        _others[connected.PeerId] = connected.Peer;
        ForgetRoute(connected.PeerId); // a new socket for someone known: its old one is gone
        // A socket replaced by a newer one is never heard of again, nor its congestion: it must not hold this one back.
        SetSlow(connected.PeerId, false);
        if (_pending.Remove(connected.PeerId, out var queued))
        {
            foreach (var signal in queued) connected.Peer.Tell(signal, ActorRefs.NoSender);
            Release(BytesOf(queued));
        }
        AskRoute(connected.PeerId, connected.Peer);
        _connection.Send(new PeerConnectedEvent(connected.PeerId, connected.DisplayName));
        if (_congested) connected.Peer.Tell(new PeerCongestion(PeerId, true), Self);
    }

    private void CloseAndStop(CloseReason reason, string message)
    {
        _lane?.Open(null);
        _connection.Close(reason, message);
        Context.Stop(Self);
    }

    /// <summary>
    /// The call's actor stopped while this socket is open: in a cluster, the node that ran it died (or handed it over).
    /// The socket asks to be admitted again, as itself; the call comes back on another node from its record. Meanwhile
    /// the client's frames wait as before admission, and the others' sockets are learned anew.
    /// </summary>
    private void OnCallLost()
    {
        if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null)
        {
            // This node is stopping and handing its calls over: the client reconnects through a node that stays.
            CloseAndStop(CloseReason.ServerStopping, "The server is shutting down.");
            return;
        }
        _log.Info("Call {call_id} of peer {peer_id} stopped; attaching again", _attach.CallId, PeerId);
        _call = ActorRefs.Nobody;
        _attaching = true;
        foreach (var other in _others.Keys.ToList())
        {
            _others[other] = null;
            // Their news of being relieved may be lost while their calls move; whoever is still slow says so again.
            SetSlow(other, false);
        }
        _routes.Clear();
        UpdateLane();
        Reattach();
    }

    /// <summary>Until the cluster has moved the call's shard off a dead node, a request can still be routed there and be
    /// lost: ask again every second until admitted (through a minute of "try again" answers; any other refusal closes the
    /// socket).</summary>
    private void Reattach()
    {
        if (!_attaching || Admitted) return;
        _retry?.Cancel(); // one chain of retries: the one started at PreStart may still be pending when the call is lost
        _retry = Context.System.Scheduler.ScheduleTellOnceCancelable(_attachRetry ?? DefaultAttachRetry, Self, RetryAttach.Instance, Self);
        // Once admitted, it is this participant that comes back, never a new one.
        _calls.Tell(_admittedOnce ? _attach with { PeerId = _peerId, JoinIfAbsent = false, Answer = false } : _attach, Self);
    }

    private void OnAdmitted(PeerAdmitted admitted)
    {
        var again = _admittedOnce;
        if (!again) Telemetry.ZvonimMetrics.Admission.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds);
        if (!_call.IsNobody()) Context.Unwatch(_call);
        _attaching = false;
        _admittedOnce = true;
        _refusedComingBack = 0;
        _call = Sender;
        Context.Watch(_call);
        _peerId = admitted.PeerId;
        TakeOthers(admitted.Others);
        foreach (var other in admitted.Others) if (other.Peer is { } peer) AskRoute(other.PeerId, peer);
        _connection.Send(new WelcomeEvent(admitted.PeerId, admitted.Snapshot));
        _connection.Send(new StateEvent(admitted.Snapshot));
        foreach (var other in admitted.Others.Where(o => o.Peer is not null))
            _connection.Send(new PeerConnectedEvent(other.PeerId, other.DisplayName, WasThereFirst: true));
        // Admitted again, either way: a "relieved" said while this socket was between calls reached nobody.
        if (_congested || again) TellOthers(new PeerCongestion(PeerId, _congested));
        // Handled right here rather than re-sent to Self: later frames already in the mailbox must not overtake them.
        if (_early is null) return;
        var early = _early;
        _early = null;
        Release(early.Sum(BytesOf));
        foreach (var message in early) OnClientMessage(message);
        UpdateLane();
    }

    /// <summary>The others as the call says they are at an admission. The first time this socket knows nobody yet;
    /// admitted again after the call moved (<see cref="OnCallLost"/>), those who left meanwhile are forgotten with what
    /// was held for them, so nothing waits for a ghost, and frames held for one who is connected now go to them first,
    /// as on any connect.</summary>
    private void TakeOthers(IReadOnlyList<PeerLink> others)
    {
        foreach (var gone in _others.Keys.Where(id => others.All(o => o.PeerId != id)).ToList())
        {
            _others.Remove(gone);
            ForgetRoute(gone);
            SetSlow(gone, false);
            if (_pending.Remove(gone, out var dropped)) Release(BytesOf(dropped));
        }
        foreach (var other in others)
        {
            // Another actor now (or none): the old one's route, and its answer, are no longer this socket's way there.
            if (_others.TryGetValue(other.PeerId, out var known) && !Equals(known, other.Peer)) ForgetRoute(other.PeerId);
            _others[other.PeerId] = other.Peer;
            if (other.Peer is not { } peer || !_pending.Remove(other.PeerId, out var queued)) continue;
            foreach (var signal in queued) peer.Tell(signal, ActorRefs.NoSender);
            Release(BytesOf(queued));
        }
    }

    /// <summary>Asks another socket's actor on this node for its socket. Frames told to it before now are ahead of
    /// the question in its mailbox, so they reach its client before any frame written directly.</summary>
    private void AskRoute(string peerId, IActorRef peer)
    {
        if (peer is not IInternalActorRef { IsLocal: true }) return; // across nodes, frames go by message
        // A question out to the same actor (admitted twice, in a cluster) is answered after everything told before
        // it, and a frame told since marks it overtaken: a second question would muddle which answer is which.
        if (_routes.IsAsked(peerId)) return;
        _routes.Asked(peerId);
        peer.Tell(OpenRoute.Instance, Self);
    }

    private void OnRouteOpened(RouteOpened opened)
    {
        if (!_others.TryGetValue(opened.PeerId, out var peer) || !Equals(peer, Sender)) return;
        var answer = _routes.Answered(opened.PeerId, opened.Sink);
        if (answer == PeerRoutes.Answer.Ignored) return;
        if (answer == PeerRoutes.Answer.AskAgain) AskRoute(opened.PeerId, peer!);
        UpdateLane();
    }

    private void ForgetRoute(string peerId)
    {
        _routes.Forget(peerId);
        UpdateLane();
    }

    /// <summary>Opens the reader's lane while every other participant's socket is written to directly and nothing is
    /// held back; closes it otherwise.</summary>
    private void UpdateLane()
    {
        if (_lane is null) return;
        var settled = Admitted && _others.Count > 0 && _routes.DirectCount == _others.Count && _early is null && _pending.Count == 0;
        _lane.Open(settled ? _routes.Targets(PeerId) : null);
        _lane.Watch(_routes.Watched());
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
            var bytes = BytesOf(message);
            if (_early.Count < _pendingLimit && _heldBytes + bytes <= _budget.BytesPerSocket && _budget.TryTake(bytes))
            {
                _early.Add(message);
                _heldBytes += bytes;
            }
            else _connection.Send(new ErrorEvent(ErrorCodes.QueueFull, "Too much was said before the call admitted this socket; this message was dropped."));
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
        RelayLane.Count(signal, byLane: false);
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
        if (_routes.TrySend(peerId, signal, out var congested))
        {
            // The receiver's socket says so at once; the news of it comes by message, later. A socket read through
            // another actor (a device's) has no reader watching its receivers, and would read on meanwhile.
            if (congested) SetSlow(peerId, true);
            return;
        }
        if (target is not null)
        {
            // No sender: nobody answers a frame, and across nodes the sender's path would be written into, and looked
            // up from, every frame's envelope.
            target.Tell(signal, ActorRefs.NoSender);
            _routes.WentByMessage(peerId, _countedBy, ref _unqueued);
        }
        else Hold(peerId, signal);
    }

    private void Hold(string peerId, SignalEvent signal)
    {
        if (!_pending.TryGetValue(peerId, out var queue)) _pending[peerId] = queue = new Queue<SignalEvent>();
        var bytes = signal.Frame.Length;
        string? refused = null;
        if (queue.Count >= _pendingLimit)
            refused = $"{_pendingLimit} messages are already waiting for a participant who is not connected; this one was dropped.";
        else if (_heldBytes + bytes > _budget.BytesPerSocket)
            refused = $"{_budget.BytesPerSocket} bytes are already waiting for participants who are not connected; this message was dropped.";
        else if (!_budget.TryTake(bytes))
            refused = "The server holds as many waiting messages as it may; this one was dropped. Try again when the others are connected.";
        if (refused is not null)
        {
            _connection.Send(new ErrorEvent(ErrorCodes.QueueFull, refused));
            return;
        }
        _heldBytes += bytes;
        queue.Enqueue(signal);
    }
}
