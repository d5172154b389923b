using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Time;
using Zvonim.Actors.Users;

namespace Zvonim.Actors.Calls;

/// <summary>
/// One call. Drives <see cref="RoomState"/> (the rules), tracks which participant's socket is which
/// <see cref="PeerActor"/>, and tells the sockets about every change. Ends itself after <see cref="RoomPolicy.IdleTtl"/>
/// without a connected socket (receive timeout), and stops <see cref="RoomPolicy.EndedRetention"/> after it ended (earlier
/// when its node holds as many ended calls as it may: <see cref="EndedCalls{TEntry}"/>).
/// A directed call (seed 002) adds ringing, in <c>CallActor.Directed.cs</c>.
/// </summary>
public sealed partial class CallActor : UntypedActor
{
    private readonly RoomState _room;
    private readonly Dictionary<string, IActorRef> _sockets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ICancelable> _deadlines = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PeerCredentials? _credentials; // rooms whose peer ids are public
    private bool _retireScheduled;
    private ICancelable? _retire;
    private readonly ICanTell? _store; // where the call's record is kept (the node's database, or the cluster's store)

    // Timers a call sets itself: they never leave its node.

    /// <summary>A participant's socket deadline (first connect or reconnect grace), valid only for its epoch.</summary>
    private sealed record ConnectDeadline(string PeerId, int Epoch) : INoSerializationVerificationNeeded;

    private sealed record LifetimeOver : INoSerializationVerificationNeeded;

    private sealed record Retire : INoSerializationVerificationNeeded;

    /// <summary>Akka's cell keeps the sender of the last message it handled. An ended call's last message mostly came
    /// from a socket's PeerActor, stopped since, whose cell would then be kept for the whole retention: a message from
    /// nobody takes its place.</summary>
    private sealed record LetGoOfLastSender : INotInfluenceReceiveTimeout, INoSerializationVerificationNeeded
    {
        public static readonly LetGoOfLastSender Instance = new();
    }

    /// <param name="createdAt">When the room was made, for a room woken from <see cref="DormantRooms"/>; now if null.</param>
    /// <summary>A call, its record kept in <paramref name="store"/> after every change when there is one.</summary>
    public static Props Props(string callId, RoomPolicy policy, DateTimeOffset? createdAt = null, ICanTell? store = null) =>
        ActorFactory.Props(() => new CallActor(callId, policy, createdAt, store));

    /// <summary>A call in a cluster: its record is kept in <paramref name="store"/> after every change, and a call whose
    /// node died comes back from <paramref name="restored"/> with everyone disconnected, within their grace.</summary>
    public static Props Props(string callId, RoomPolicy policy, ICanTell? store, CallRecord? restored) =>
        ActorFactory.Props(() => new CallActor(callId, policy, restored?.CreatedAt, store, restored));

    public CallActor(string callId, RoomPolicy policy, DateTimeOffset? createdAt = null, ICanTell? store = null, CallRecord? restored = null)
    {
        _time = Context.System.Clock();
        _store = store;
        var now = _time.GetUtcNow();
        _room = restored is null ? new RoomState(callId, policy, createdAt ?? now) : RoomState.FromRecord(restored);
        if (policy.PublicPeerIds) _credentials = new PeerCredentials();
        if (restored is not null) Restore(restored);

        if (_room.ExpiresAt is { } expiresAt && !_room.IsEnded)
        {
            var left = expiresAt - now;
            if (left > TimeSpan.Zero) Context.System.Scheduler.ScheduleTellOnceCancelable(left, Self, new LifetimeOver(), Self);
            else EndCall("its lifetime is over"); // woken after its end of life: it ends now, before any command, and is retained
        }
        UpdateIdleTimer();
        Telemetry.ZvonimMetrics.CallsLive(policy.Kind, 1);
    }

    private string CallId => _room.CallId;

    private void Restore(CallRecord restored)
    {
        foreach (var p in restored.Participants)
        {
            if (p.Secret is not null) _credentials?.Restore(p.PeerId, p.Secret, p.From);
            // Everyone's socket is gone with the node that ran the call: each has its grace (a first connect, its first-connect time) to come back.
            if (!_room.IsEnded) ArmDeadline(p.PeerId, p.ConnectedAt is null ? _room.Policy.FirstConnectTimeout : _room.Policy.ReconnectGrace);
        }
        if (_room.IsEnded)
        {
            HoldAfterEnd(restored);
            _log.Debug("Ended call {call_id} brought back from its record to answer", CallId);
        }
        else _log.Info("Call {call_id} restored with {Count} participants", CallId, restored.Participants.Count);
        if (_room.Policy.IsDirected) RestoreDirected();
    }

    /// <summary>With a store: the record follows every change of who is in the call and whether it ended.</summary>
    private void Save()
    {
        // Once ended, its holder keeps the record (a single node's manager, which may have stopped routing to this
        // actor already) and writes it.
        if (_retireScheduled) Context.Parent.Tell(new EndedCallChanged(CallId, Record()), Self);
        else if (_store is not null) Save(Record());
    }

    private void Save(CallRecord record) => _store?.Tell(new Cluster.SaveCall(record), ActorRefs.NoSender);

    private CallRecord Record() => _room.ToRecord(id => _credentials?.Export(id) ?? (null, null));

    /// <summary>Matched with a switch rather than a ReceiveActor's handler table, which is built per instance (about
    /// 7 KB and 70 µs per actor with 15 handlers, measured): a node makes a CallActor per call.</summary>
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case GetCall:
                Sender.Tell(new CallInfo(_room.Snapshot()), Self);
                break;
            case AttachPeer attach:
                OnAttach(attach);
                break;
            case Terminated terminated:
                OnSocketGone(terminated);
                break;
            case JoinCall join:
                OnJoin(join);
                break;
            case LeaveCall leave:
                OnLeave(leave);
                break;
            case CreateCall create:
                OnCreate(create);
                break;
            case ConnectDeadline deadline:
                OnConnectDeadline(deadline);
                break;
            case ReceiveTimeout:
                OnIdle();
                break;
            case LifetimeOver:
                EndCall("its lifetime is over");
                break;
            case LineClaimed or LineBusy or Rang or RingTimedOut:
                OnRinging(message);
                break;
            case LetGoOfLastSender:
                break;
            case Retire or RetireEarly:
                _log.Info("Call {call_id} retired", CallId);
                _store?.Tell(new Cluster.ForgetCall(CallId), ActorRefs.NoSender);
                Context.Parent.Tell(new Passivate(CallId), Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PostStop()
    {
        if (!_retireScheduled) Telemetry.ZvonimMetrics.CallsLive(_room.Policy.Kind, -1);
        foreach (var deadline in _deadlines.Values) deadline.Cancel();
        _retire?.Cancel();
        CancelRing();
    }

    private void OnCreate(CreateCall create)
    {
        if (_room.Policy.IsDirected)
        {
            OnCreateDirected(create);
            return;
        }
        string? peerId = null;
        if (create.Creator is { } creator)
        {
            peerId = Ids.New();
            _room.Join(peerId, creator.DisplayName, _time.GetUtcNow());
            ArmDeadline(peerId, _room.Policy.FirstConnectTimeout);
        }
        var secret = peerId is null ? null : _credentials?.Issue(peerId, create.Creator?.From);
        if (peerId is null) _log.Info("{Thing} {call_id} created, nobody in it yet", Wording.For(_room.Policy.Kind).Thing, CallId);
        else _log.Info("{Thing} {call_id} created by {peer_id}", Wording.For(_room.Policy.Kind).Thing, CallId, peerId);
        Save();
        Sender.Tell(new CallCreated(CallId, peerId, _room.Snapshot(), secret), Self);
    }

    private void OnJoin(JoinCall join)
    {
        var peerId = Ids.New();
        if (Join(peerId, join.DisplayName, _time.GetUtcNow()) is { } refusal)
        {
            Sender.Tell(Refuse(refusal), Self);
            return;
        }
        _log.Info("Peer {peer_id} joined call {call_id}", peerId, CallId);
        // The proof first, then the record: a node that stops or dies before the newcomer's socket comes would
        // otherwise bring the room back with a member nobody can prove to be.
        var secret = _credentials?.Issue(peerId, join.From);
        Save();
        ArmDeadline(peerId, _room.Policy.FirstConnectTimeout);
        Sender.Tell(new CallJoined(CallId, peerId, _room.Snapshot(), secret), Self);
        Broadcast(new MemberJoined(peerId, join.DisplayName), except: null);
        BroadcastState();
    }

    private void OnLeave(LeaveCall leave)
    {
        if (_room.Policy.IsDirected)
        {
            OnHangUp(leave);
            return;
        }
        var participant = _room.Find(leave.PeerId);
        if (participant is null)
        {
            Sender.Tell(Refuse(Refusal.NotAParticipant), Self);
            return;
        }
        // Its own admitted socket may always leave; anyone else must prove who they are where ids are public.
        var fromItsSocket = _sockets.TryGetValue(leave.PeerId, out var own) && Equals(own, Sender);
        if (_credentials is not null && !fromItsSocket && !_credentials.Allows(leave.PeerId, leave.As))
        {
            _log.Info("Leave of peer {peer_id} in call {call_id} refused: no proof it is theirs", leave.PeerId, CallId);
            Sender.Tell(Refuse(Refusal.Forbidden), Self);
            return;
        }
        RemoveParticipant(leave.PeerId, "left");
        Sender.Tell(new CallLeft(CallId, leave.PeerId, _room.Snapshot()), Self);
    }

    private void OnAttach(AttachPeer attach)
    {
        var now = _time.GetUtcNow();
        // A socket asking again (its first request seemed lost in a failing cluster) is the participant it already is.
        var already = _sockets.FirstOrDefault(kv => Equals(kv.Value, Sender)).Key;
        if (already is not null && !_room.IsEnded && _room.Find(already) is { WsConnected: true })
        {
            // Admitted already: only the asker hears it again. The others were told once; a second "join" would make
            // their clients negotiate again.
            Sender.Tell(new PeerAdmitted(CallId, already, _room.Snapshot(), Others(already)), Self);
            return;
        }
        var participant = already is not null ? _room.Find(already) : attach.PeerId is null ? null : _room.Find(attach.PeerId);
        if (participant is null && attach.JoinIfAbsent && !_room.IsEnded)
        {
            var newId = Ids.New();
            if (Join(newId, attach.DisplayName, now) is { } joinRefusal)
            {
                Sender.Tell(Refuse(joinRefusal), Self);
                return;
            }
            _log.Info("Peer {peer_id} joined call {call_id}", newId, CallId);
            Save();
            Broadcast(new MemberJoined(newId, attach.DisplayName), except: null);
            participant = _room.Find(newId);
        }
        else if (_room.Policy.IsDirected && DirectedRefusal(attach, participant) is { } directedRefusal)
        {
            Sender.Tell(Refuse(directedRefusal), Self);
            return;
        }
        else if (participant is not null && _credentials is not null && !_credentials.Allows(participant.PeerId, attach.As))
        {
            _log.Info("Socket for peer {peer_id} in call {call_id} refused: no proof it is theirs", participant.PeerId, CallId);
            Sender.Tell(Refuse(Refusal.Forbidden), Self);
            return;
        }
        var firstConnect = participant is { ConnectedAt: null };
        if (participant is null || _room.Connect(participant.PeerId, now) is { } refusal)
        {
            Sender.Tell(Refuse(_room.IsEnded ? Refusal.Ended : Refusal.NotAParticipant), Self);
            return;
        }
        var peerId = participant.PeerId;
        CancelDeadline(peerId);

        var socket = Sender;
        if (_sockets.TryGetValue(peerId, out var previous) && !Equals(previous, socket))
        {
            // A reload or a network change: the newest socket wins, so nobody is locked out by their own ghost.
            Context.Unwatch(previous);
            previous.Tell(new Superseded(), Self);
            _log.Info("Peer {peer_id} of call {call_id} reconnected; older socket closed", peerId, CallId);
        }
        _sockets[peerId] = socket;
        Context.Watch(socket);

        socket.Tell(new PeerAdmitted(CallId, peerId, _room.Snapshot(), Others(peerId)), Self);
        _log.Info("Peer {peer_id} connected to call {call_id}", peerId, CallId);
        if (attach.Answer && _room.Policy.IsDirected) OnAnswered(peerId);
        else if (firstConnect) Save(); // the seat is no longer one that was never used
        Broadcast(new PeerConnected(peerId, participant.DisplayName, socket), except: peerId);
        BroadcastState(except: peerId);
        UpdateIdleTimer();
    }

    private PeerLink[] Others(string peerId) => _room.Participants.Where(p => p.PeerId != peerId)
        .Select(p => new PeerLink(p.PeerId, p.DisplayName, _sockets.GetValueOrDefault(p.PeerId)))
        .ToArray();

    private void OnSocketGone(Terminated terminated)
    {
        var peerId = _sockets.FirstOrDefault(kv => Equals(kv.Value, terminated.ActorRef)).Key;
        if (peerId is null) return;
        _sockets.Remove(peerId);
        _room.Disconnect(peerId);
        if (_room.IsEnded) return;
        _log.Info("Peer {peer_id} of call {call_id} dropped; holding its place for {Grace}", peerId, CallId, _room.Policy.ReconnectGrace);
        ArmDeadline(peerId, _room.Policy.ReconnectGrace);
        Broadcast(new PeerDisconnected(peerId), except: null);
        BroadcastState();
        UpdateIdleTimer();
    }

    private void OnConnectDeadline(ConnectDeadline deadline)
    {
        var participant = _room.Find(deadline.PeerId);
        if (participant is null || participant.WsConnected || participant.Epoch != deadline.Epoch) return;
        if (_room.Policy.IsDirected) EndCall($"user {deadline.PeerId} did not (re)connect in time", EndReason.Failed);
        else if (participant.ConnectedAt is null) RemoveParticipant(deadline.PeerId, "never connected: its seat is given back", seatOnly: true);
        else RemoveParticipant(deadline.PeerId, "did not reconnect in time");
    }

    private void OnIdle()
    {
        // The tick may race a message that just reconnected someone: trust the state, not the tick.
        if (!_room.IsEnded && !_room.AnyConnected) EndCall("it was idle", EndReason.Failed);
    }

    /// <summary>Joins, giving a full room's stale seat (joined, never connected, past the seat hold) to the newcomer.</summary>
    private Refusal? Join(string peerId, string? displayName, DateTimeOffset now)
    {
        var refusal = _room.Join(peerId, displayName, now);
        if (refusal != Refusal.Full || _room.ReclaimableSeat(now) is not { } stale) return refusal;
        RemoveParticipant(stale, "joined but never connected; the seat went to a newcomer", seatOnly: true);
        return _room.Join(peerId, displayName, now);
    }

    private void RemoveParticipant(string peerId, string why, bool seatOnly = false)
    {
        bool endedCall;
        if (seatOnly) _room.GiveBackSeat(peerId, out endedCall);
        else _room.Leave(peerId, out endedCall);
        _credentials?.Forget(peerId);
        CancelDeadline(peerId);
        _log.Info("Peer {peer_id} left call {call_id} ({Why})", peerId, CallId, why);
        Save();
        if (_sockets.Remove(peerId, out var socket))
        {
            Context.Unwatch(socket);
            socket.Tell(new RemovedFromCall(_room.Snapshot()), Self);
        }
        Broadcast(new MemberLeft(peerId), except: null);
        if (endedCall) EndCall("a participant left");
        else BroadcastState();
        UpdateIdleTimer();
    }

    private void EndCall(string why, EndReason? reason = null)
    {
        _room.End(reason);
        CancelRing();
        var record = Record();
        Save(record);
        HoldAfterEnd(record);
        _log.Info("Call {call_id} ended: {Why}", CallId, why);
        var ended = new CallEnded(_room.Snapshot());
        foreach (var socket in _sockets.Values)
        {
            Context.Unwatch(socket);
            socket.Tell(ended, Self);
        }
        _sockets.Clear();
        UpdateIdleTimer();
        if (_room.Policy.IsDirected) TellBoth(new CallOver(CallId, _room.EndReason ?? EndReason.Failed));
    }

    /// <summary>From its end to its retirement the call only answers about itself: it is no longer live, and its
    /// parent counts it among the ended calls it holds. A single node's manager keeps <paramref name="record"/> instead
    /// and stops this actor; a cluster's entity keeps the actor until <see cref="Retire"/>.</summary>
    private void HoldAfterEnd(CallRecord record)
    {
        if (_retireScheduled) return;
        // A fixed date, not a receive timeout: people knocking on an ended call must not keep it around.
        _retireScheduled = true;
        _retire = Context.System.Scheduler.ScheduleTellOnceCancelable(_room.Policy.EndedRetention, Self, new Retire(), Self);
        Telemetry.ZvonimMetrics.CallsLive(_room.Policy.Kind, -1); // no longer running, only answering about itself
        Context.Parent.Tell(new CallHeldAfterEnd(CallId, record, _time.GetUtcNow() + _room.Policy.EndedRetention), Self);
        Self.Tell(LetGoOfLastSender.Instance, ActorRefs.NoSender);
    }

    private void ArmDeadline(string peerId, TimeSpan after)
    {
        CancelDeadline(peerId);
        var epoch = _room.Find(peerId)!.Epoch;
        _deadlines[peerId] = Context.System.Scheduler.ScheduleTellOnceCancelable(after, Self, new ConnectDeadline(peerId, epoch), Self);
    }

    /// <summary>Connected or gone: its deadline timer is dropped rather than left to fire for nothing.</summary>
    private void CancelDeadline(string peerId)
    {
        if (_deadlines.Remove(peerId, out var deadline)) deadline.Cancel();
    }

    /// <summary>The idle TTL runs while nobody is connected. A room whose fixed lifetime is no longer than its idle TTL
    /// (a link room: both 7 days) ends by its lifetime first, so it keeps no idle timer: a room nobody uses holds one
    /// timer, not two, and its messages do not re-arm one.</summary>
    private void UpdateIdleTimer()
    {
        var lifetimeFirst = _room.Policy.Lifetime is { } lifetime && lifetime <= _room.Policy.IdleTtl;
        Context.SetReceiveTimeout(_room.IsEnded || _room.AnyConnected || lifetimeFirst ? null : _room.Policy.IdleTtl);
    }

    private void BroadcastState(string? except = null) => Broadcast(new CallStateChanged(_room.Snapshot()), except);

    private void Broadcast(object message, string? except)
    {
        foreach (var (peerId, socket) in _sockets)
        {
            if (peerId != except) socket.Tell(message, Self);
        }
    }

    private CallRefused Refuse(Refusal reason)
    {
        var words = Wording.For(_room.Policy.Kind);
        return new(CallId, reason, reason switch
        {
            Refusal.Full => $"{words.Thing} '{CallId}' is full ({_room.Policy.Capacity} {words.Member}s).",
            Refusal.Ended => $"{words.Thing} '{CallId}' has ended.",
            Refusal.NotAParticipant => $"This {words.MemberId} is not in {words.Thing.ToLowerInvariant()} '{CallId}'.",
            Refusal.Forbidden => "This id belongs to someone else: use the token you got when you joined, or the network you joined from.",
            Refusal.NotAnswered => $"Call '{CallId}' has not been answered yet.",
            Refusal.AnsweredElsewhere => $"Call '{CallId}' was answered on another device.",
            _ => $"{words.Thing} '{CallId}' does not exist.",
        });
    }
}
