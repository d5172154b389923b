using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Time;

namespace Zvonim.Actors.Calls;

/// <summary>A call asks its manager to retire it. The manager stops routing to it first and then stops it with a
/// message queued behind everything already routed, so no command in flight is lost (Akka's passivation). From a call
/// to its parent, always on the same node.</summary>
public sealed record Passivate(string CallId) : INoSerializationVerificationNeeded;

/// <summary>A call tells its parent that it has ended: it is kept from now on only to answer about itself, until
/// <paramref name="RetireAt"/>, and no longer counts as a call the node carries. <paramref name="Record"/> is all it
/// needs to answer (<see cref="RetainedCalls"/>).</summary>
public sealed record CallHeldAfterEnd(string CallId, CallRecord Record, DateTimeOffset RetireAt) : INoSerializationVerificationNeeded;

/// <summary>An ended call changed (someone left it): whoever holds it keeps <paramref name="Record"/> and writes it to
/// the store, so that nothing an ended call says to the store can come after its holder forgot it.</summary>
public sealed record EndedCallChanged(string CallId, CallRecord Record) : INoSerializationVerificationNeeded;

/// <summary>From a cluster node to an ended call it holds: retire now, not at the end of the retention, because the
/// node holds as many ended calls as it may (<see cref="EndedCalls{TEntry}"/>).</summary>
public sealed record RetireEarly : INoSerializationVerificationNeeded
{
    public static readonly RetireEarly Instance = new();
}

/// <summary>How many calls the node carries now (asked on the node itself).</summary>
public sealed record GetCallCount : INotInfluenceReceiveTimeout, INoSerializationVerificationNeeded;

public sealed record CallCount(int Calls) : INoSerializationVerificationNeeded;

/// <summary>
/// One per node: creates a <see cref="CallActor"/> child per call (named by the call id), routes every
/// <see cref="ICallCommand"/> to it, and answers "not found" for calls it does not have. A room created with nobody in it
/// (a link room) starts dormant, as a record in <see cref="DormantRooms"/>, and gets its actor on its first command.
/// An ended call is kept the same way, as its record in <see cref="RetainedCalls"/>, until its retention is over.
/// </summary>
public sealed class CallManager : ReceiveActor
{
    public const string Name = "calls";

    /// <param name="maxCalls">Calls (of every kind, dormant rooms included, ended ones not) the node carries at most;
    /// creating more is refused. The node also holds at most as many ended calls (the oldest retire early).</param>
    public static Props Props(int maxCalls = int.MaxValue) => ActorFactory.Props(() => new CallManager(maxCalls, null, []));

    /// <summary>A node whose calls outlive a restart: every call keeps its record in <paramref name="store"/>, and the
    /// node starts with the calls of <paramref name="restored"/> (read from it at start) back, everyone disconnected
    /// within their grace, and the unused room links dormant again.</summary>
    public static Props Props(ICanTell store, IReadOnlyList<CallRecord> restored, int maxCalls = int.MaxValue) =>
        ActorFactory.Props(() => new CallManager(maxCalls, store, restored));

    // Revived: an ended call's actor brought back from its record to answer one command, not a call the node carries.
    private readonly Dictionary<string, (IActorRef Call, string Kind, bool Revived)> _calls = new(StringComparer.Ordinal);
    private readonly DormantRooms _dormant = new();
    private readonly RetainedCalls _ended = new();
    private int _revived;
    private long _incarnations; // names revived actors apart from a predecessor that may not have stopped yet
    private readonly int _maxCalls;
    private readonly ICanTell? _store;
    private readonly TimeProvider _time = Context.System.Clock();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly EarliestTimer _wake; // for the earliest dormant room's end of life
    private readonly EarliestTimer _retirement; // for the earliest retained call's end of retention

    private sealed record WakeExpired(DateTimeOffset At) : INoSerializationVerificationNeeded;

    private sealed record RetirementDue(DateTimeOffset At) : INoSerializationVerificationNeeded;

    public CallManager(int maxCalls, ICanTell? store, IReadOnlyList<CallRecord> restored)
    {
        _maxCalls = maxCalls;
        _store = store;
        _wake = new EarliestTimer(Self, at => new WakeExpired(at), _time, Context.System.Scheduler);
        _retirement = new EarliestTimer(Self, at => new RetirementDue(at), _time, Context.System.Scheduler);
        if (store is not null) Restore(store, restored);
        Receive<CreateCall>(create =>
        {
            if (Carried >= _maxCalls)
            {
                Sender.Tell(CallRefused.AtCapacity(_maxCalls), Self);
                return;
            }
            var callId = Ids.New();
            if (DormantRooms.CanStartDormant(create))
            {
                var room = _dormant.Add(callId, create.Policy, _time.GetUtcNow());
                _store?.Tell(new Cluster.SaveCall(new CallRecord(callId, create.Policy, room.CreatedAt, false, [])), ActorRefs.NoSender);
                _log.Info("Room {call_id} created", callId);
                Sender.Tell(new CallCreated(callId, null, SnapshotOf(callId, room)), Self);
                _wake.Ensure(_dormant.NextExpiry);
                return;
            }
            Start(callId, create.Policy, null).Forward(create);
        });
        Receive<GetCall>(get =>
        {
            if (_dormant.TryGet(get.CallId, out var room) && Matches(get, room.Policy.Kind))
                Sender.Tell(new CallInfo(SnapshotOf(get.CallId, room)), Self); // looking at a room does not wake it
            else if (!_calls.ContainsKey(get.CallId) && _ended.TryGet(get.CallId, out var record) && Matches(get, record.Policy.Kind))
                Sender.Tell(new CallInfo(RoomState.FromRecord(record).Snapshot()), Self); // nor does looking at an ended call
            else Route(get);
        });
        Receive<ICallCommand>(Route);
        Receive<WakeExpired>(due =>
        {
            _wake.Fired(due.At);
            foreach (var (callId, room) in _dormant.TakeExpired(_time.GetUtcNow())) Start(callId, room.Policy, room.CreatedAt);
            _wake.Ensure(_dormant.NextExpiry);
        });
        Receive<Passivate>(passivate => StopRouting(passivate.CallId, Sender));
        Receive<CallHeldAfterEnd>(OnEnded);
        Receive<EndedCallChanged>(changed =>
        {
            if (_ended.Replace(changed.Record)) _store?.Tell(new Cluster.SaveCall(changed.Record), ActorRefs.NoSender);
        });
        Receive<RetirementDue>(due =>
        {
            _retirement.Fired(due.At);
            foreach (var callId in _ended.TakeRetired(_time.GetUtcNow())) Forget(callId);
            _retirement.Ensure(_ended.NextRetirement);
        });
        Receive<GetCallCount>(_ => Sender.Tell(new CallCount(Carried), Self));
        Receive<Terminated>(terminated =>
        {
            var name = terminated.ActorRef.Path.Name;
            var callId = name.IndexOf('~') is var mark and >= 0 ? name[..mark] : name;
            StopRouting(callId, terminated.ActorRef, stop: false);
            _log.Debug("Call {call_id} is gone", callId);
        });
    }

    /// <summary>Calls and rooms the node carries: running, or dormant; not the ended ones it still answers about.</summary>
    private int Carried => _calls.Count - _revived + _dormant.Count;

    /// <summary>The call ended: from now on its record answers, and its actor stops behind whatever was already routed
    /// to it (as a passivated call's does). A revived call was held already, under its first retirement date.</summary>
    private void OnEnded(CallHeldAfterEnd ended)
    {
        if (!_calls.TryGetValue(ended.CallId, out var entry) || !Equals(entry.Call, Sender)) return;
        if (!entry.Revived)
        {
            _ended.Add(ended.Record, ended.RetireAt);
            _retirement.Ensure(_ended.NextRetirement);
        }
        StopRouting(ended.CallId, Sender);
        // A node that ends calls faster than their retention lets them go would otherwise hold them all: the oldest
        // retires now.
        while (_ended.TryTakeOldest(_maxCalls, out var oldest)) Forget(oldest);
    }

    private void StopRouting(string callId, IActorRef call, bool stop = true)
    {
        if (!_calls.TryGetValue(callId, out var entry) || !Equals(entry.Call, call)) return;
        _calls.Remove(callId);
        if (entry.Revived) _revived--;
        if (stop) call.Tell(PoisonPill.Instance, Self);
    }

    /// <summary>A retained call's retention is over: it is "not found" from now on, here and in the store.</summary>
    private void Forget(string callId)
    {
        _log.Info("Call {call_id} retired", callId);
        _store?.Tell(new Cluster.ForgetCall(callId), ActorRefs.NoSender);
    }

    private void Route(ICallCommand command)
    {
        if (_calls.TryGetValue(command.CallId, out var entry) && Matches(command, entry.Kind))
            entry.Call.Forward(command);
        else if (_dormant.TryGet(command.CallId, out var room) && Matches(command, room.Policy.Kind) && _dormant.TryWake(command.CallId, out _))
            Start(command.CallId, room.Policy, room.CreatedAt).Forward(command);
        else if (!_calls.ContainsKey(command.CallId) && _ended.TryGet(command.CallId, out var record) && Matches(command, record.Policy.Kind))
            Revive(record).Forward(command);
        else
            Sender.Tell(CallRefused.NotFound(command.CallId), Self);
    }

    /// <summary>Brings an ended call's actor back from its record to answer a command as the call itself would (a join
    /// refused as ended, a leave, a socket). It tells this manager at once that it has ended, and is stopped behind the
    /// command.</summary>
    private IActorRef Revive(CallRecord record)
    {
        _revived++;
        // Its predecessor may still be stopping under the call's id.
        return Start(record.CallId, record.Policy.Kind, CallActor.Props(record.CallId, record.Policy, _store, record),
            $"{record.CallId}~{++_incarnations}", revived: true);
    }

    /// <summary>The calls a restarted node had: ended ones are forgotten, unused room links go back to sleep, the rest
    /// come back as actors (each arms its participants' graces).</summary>
    private void Restore(ICanTell store, IReadOnlyList<CallRecord> restored)
    {
        var now = _time.GetUtcNow();
        foreach (var record in restored)
        {
            if (record.Ended)
            {
                store.Tell(new Cluster.ForgetCall(record.CallId), ActorRefs.NoSender);
                continue;
            }
            // An unused link sleeps again, unless its life ended while the node was down: then it ends as a call does.
            if (record.Participants.Count == 0 && DormantRooms.CanStartDormant(new CreateCall(record.Policy))
                && record.CreatedAt + record.Policy.Lifetime > now)
            {
                _dormant.Add(record.CallId, record.Policy, record.CreatedAt);
                continue;
            }
            Start(record.CallId, record.Policy.Kind, CallActor.Props(record.CallId, record.Policy, store, record));
        }
        _wake.Ensure(_dormant.NextExpiry);
        if (restored.Count > 0) _log.Info("{Count} calls and rooms restored from the store ({Dormant} unused room links)", restored.Count, _dormant.Count);
    }

    private static bool Matches(ICallCommand command, string kind) => command.Kind is null || command.Kind == kind;

    private static CallSnapshot SnapshotOf(string callId, DormantRoom room) => new RoomState(callId, room.Policy, room.CreatedAt).Snapshot();

    private IActorRef Start(string callId, RoomPolicy policy, DateTimeOffset? createdAt) =>
        Start(callId, policy.Kind, CallActor.Props(callId, policy, createdAt, _store));

    private IActorRef Start(string callId, string kind, Props props, string? name = null, bool revived = false)
    {
        var call = Context.ActorOf(props, name ?? callId);
        _calls[callId] = (call, kind, revived);
        Context.Watch(call);
        return call;
    }

    protected override void PostStop()
    {
        _wake.Cancel();
        _retirement.Cancel();
    }

    /// <summary>A call that throws keeps its state and skips the message: ending people's call for a bug in one
    /// message would be worse, and <see cref="RoomState"/> checks before it changes anything.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => ResumeOnFailure;

    private static readonly SupervisorStrategy ResumeOnFailure = new OneForOneStrategy(_ => Directive.Resume);
}
