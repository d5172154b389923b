using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Time;

namespace Zvonim.Actors.Calls;

/// <summary>A call asks its manager to retire it. The manager stops routing to it first and then stops it with a
/// message queued behind everything already routed, so no command in flight is lost (Akka's passivation). From a call
/// to its parent, always on the same node.</summary>
public sealed record Passivate(string CallId) : INoSerializationVerificationNeeded;

/// <summary>A call tells its parent that it has ended: it is kept from now on only to answer about itself, until its
/// retention is over, and no longer counts as a call the node carries.</summary>
public sealed record CallHeldAfterEnd(string CallId) : INoSerializationVerificationNeeded;

/// <summary>From a manager to an ended call it holds: retire now, not at the end of the retention, because the node
/// holds as many ended calls as it may (<see cref="EndedCalls{TEntry}"/>).</summary>
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
/// </summary>
public sealed class CallManager : ReceiveActor
{
    public const string Name = "calls";

    /// <param name="callProps">Builds a call's actor from its id, rules and (for a woken room) creation time.</param>
    /// <param name="maxCalls">Calls (of every kind, dormant rooms included, ended ones not) the node carries at most;
    /// creating more is refused. The node also holds at most as many ended calls (the oldest retire early).</param>
    public static Props Props(Func<string, RoomPolicy, DateTimeOffset?, Props>? callProps = null, int maxCalls = int.MaxValue) =>
        ActorFactory.Props(() => new CallManager(callProps ?? CallActor.Props, maxCalls, null, []));

    /// <summary>A node whose calls outlive a restart: every call keeps its record in <paramref name="store"/>, and the
    /// node starts with the calls of <paramref name="restored"/> (read from it at start) back, everyone disconnected
    /// within their grace, and the unused room links dormant again.</summary>
    public static Props Props(ICanTell store, IReadOnlyList<CallRecord> restored, int maxCalls = int.MaxValue) =>
        ActorFactory.Props(() => new CallManager((id, policy, createdAt) => CallActor.Props(id, policy, createdAt, store), maxCalls, store, restored));

    private readonly Dictionary<string, (IActorRef Call, string Kind)> _calls = new(StringComparer.Ordinal);
    private readonly DormantRooms _dormant = new();
    private readonly EndedCalls<IActorRef> _ended = new();
    private readonly int _maxCalls;
    private readonly Func<string, RoomPolicy, DateTimeOffset?, Props> _callProps;
    private readonly ICanTell? _store;
    private readonly TimeProvider _time = Context.System.Clock();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ICancelable? _wake; // for the earliest dormant room's end of life

    private sealed record WakeExpired : INoSerializationVerificationNeeded;

    public CallManager(Func<string, RoomPolicy, DateTimeOffset?, Props> callProps, int maxCalls, ICanTell? store,
        IReadOnlyList<CallRecord> restored)
    {
        _callProps = callProps;
        _maxCalls = maxCalls;
        _store = store;
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
                ScheduleWake();
                return;
            }
            Start(callId, create.Policy, null).Forward(create);
        });
        Receive<GetCall>(get =>
        {
            if (_dormant.TryGet(get.CallId, out var room) && Matches(get, room.Policy.Kind))
                Sender.Tell(new CallInfo(SnapshotOf(get.CallId, room)), Self); // looking at a room does not wake it
            else Route(get);
        });
        Receive<ICallCommand>(Route);
        Receive<WakeExpired>(_ =>
        {
            _wake = null;
            foreach (var (callId, room) in _dormant.TakeExpired(_time.GetUtcNow())) Start(callId, room.Policy, room.CreatedAt);
            ScheduleWake();
        });
        Receive<Passivate>(passivate =>
        {
            _ended.Remove(passivate.CallId);
            if (_calls.Remove(passivate.CallId, out var entry)) entry.Call.Tell(PoisonPill.Instance, Self);
        });
        Receive<CallHeldAfterEnd>(OnEnded);
        Receive<GetCallCount>(_ => Sender.Tell(new CallCount(Carried), Self));
        Receive<Terminated>(terminated =>
        {
            var callId = terminated.ActorRef.Path.Name;
            if (_calls.TryGetValue(callId, out var entry) && Equals(entry.Call, terminated.ActorRef))
            {
                _calls.Remove(callId);
                _ended.Remove(callId);
            }
            _log.Debug("Call {call_id} is gone", callId);
        });
    }

    /// <summary>Calls and rooms the node carries: running, or dormant; not the ended ones it still answers about.</summary>
    private int Carried => _calls.Count - _ended.Count + _dormant.Count;

    private void OnEnded(CallHeldAfterEnd ended)
    {
        if (!_calls.TryGetValue(ended.CallId, out var entry) || !Equals(entry.Call, Sender)) return;
        _ended.Add(ended.CallId, entry.Call);
        // A node that ends calls faster than their retention lets them go would otherwise hold them all: the oldest
        // retires now. Stopped behind whatever was routed to it, as Passivate does.
        while (_ended.TryTakeOldest(_maxCalls, out var oldest, out var call))
        {
            _calls.Remove(oldest);
            call.Tell(RetireEarly.Instance, Self);
            call.Tell(PoisonPill.Instance, Self);
        }
    }

    private void Route(ICallCommand command)
    {
        if (_calls.TryGetValue(command.CallId, out var entry) && Matches(command, entry.Kind))
            entry.Call.Forward(command);
        else if (_dormant.TryGet(command.CallId, out var room) && Matches(command, room.Policy.Kind) && _dormant.TryWake(command.CallId, out _))
            Start(command.CallId, room.Policy, room.CreatedAt).Forward(command);
        else
            Sender.Tell(CallRefused.NotFound(command.CallId), Self);
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
            var call = Context.ActorOf(CallActor.Props(record.CallId, record.Policy, store, record), record.CallId);
            _calls[record.CallId] = (call, record.Policy.Kind);
            Context.Watch(call);
        }
        ScheduleWake();
        if (restored.Count > 0) _log.Info("{Count} calls and rooms restored from the store ({Dormant} unused room links)", restored.Count, _dormant.Count);
    }

    private static bool Matches(ICallCommand command, string kind) => command.Kind is null || command.Kind == kind;

    private static CallSnapshot SnapshotOf(string callId, DormantRoom room) => new RoomState(callId, room.Policy, room.CreatedAt).Snapshot();

    private IActorRef Start(string callId, RoomPolicy policy, DateTimeOffset? createdAt)
    {
        var call = Context.ActorOf(_callProps(callId, policy, createdAt), callId);
        _calls[callId] = (call, policy.Kind);
        Context.Watch(call);
        return call;
    }

    /// <summary>One timer for all dormant rooms, set for the earliest one's end of life.</summary>
    private void ScheduleWake()
    {
        if (_wake is not null || _dormant.NextExpiry is not { } at) return;
        var delay = at - _time.GetUtcNow();
        _wake = Context.System.Scheduler.ScheduleTellOnceCancelable(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Self, new WakeExpired(), Self);
    }

    protected override void PostStop() => _wake?.Cancel();

    /// <summary>A call that throws keeps its state and skips the message: ending people's call for a bug in one
    /// message would be worse, and <see cref="RoomState"/> checks before it changes anything.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => ResumeOnFailure;

    private static readonly SupervisorStrategy ResumeOnFailure = new OneForOneStrategy(_ => Directive.Resume);
}
