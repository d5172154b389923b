using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Calls;
using ShardPassivate = Akka.Cluster.Sharding.Passivate;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// A call as a Cluster.Sharding entity, keyed by its id: whichever node a request reaches, the call lives on one node
/// of the cluster. Sharding makes an entity for any id it is asked about, so this one starts empty: a
/// <see cref="StartCall"/> makes it a new call (its <see cref="CallActor"/> child, the same actor a single node runs).
/// Anything else first looks for the call's record in the <see cref="CallStore"/>: a call whose node died comes back
/// from it; an id with no record is answered "not found", and the empty entity goes away.
/// </summary>
public sealed class CallEntity : UntypedActor, IWithUnboundedStash
{
    public static Props Props(string callId) => ActorFactory.Props(() => new CallEntity(callId));

    private readonly string _callId;
    private readonly ICanTell _store = Context.ActorSelection("/user/" + CallStore.Name);
    private IActorRef? _call;
    private bool _loading;
    private bool _absent; // looked for, not found: everything is "not found" until the entity is gone
    private bool _unreadable; // the last look failed: commands are answered "try again" until the next look may start
    private ICancelable? _readAgain;
    private readonly NodeCalls _node = NodeCalls.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _counted;
    private bool _heldEnded; // among the node's ended calls (NodeCalls)

    public CallEntity(string callId) => _callId = callId;

    public IStash Stash { get; set; } = null!;

    /// <summary>What the shard sends once it holds new messages back: the call is stopped behind the commands already
    /// forwarded to it, never ahead of them (a stop is a system message, handled before the mailbox).</summary>
    private sealed class StopCall : INoSerializationVerificationNeeded
    {
        public static readonly StopCall Instance = new();
    }

    /// <summary>How long after a failed read of the record commands are answered "try again" before the next read: a
    /// database that is down is not asked once per retrying socket.</summary>
    internal static readonly TimeSpan ReadAgainAfter = TimeSpan.FromSeconds(1);

    private sealed class ReadAgain : INoSerializationVerificationNeeded
    {
        public static readonly ReadAgain Instance = new();
    }

    /// <summary>How long a read of the record may take before it counts as failed. A store that never answers (a
    /// database hanging, a store restarted with the request in its mailbox) would otherwise hold every command for the
    /// call in this entity's stash for good, and its sockets would wait in silence.</summary>
    internal static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(10);

    private sealed class LoadTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly LoadTimedOut Instance = new();
    }

    private ICancelable? _loadTimeout;
    private bool _asked; // a LoadCall is with the store, answered or not

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StartCall start when _call is null && !_loading && !_absent:
                if (!_node.TryAdd())
                {
                    Sender.Tell(CallRefused.AtCapacity(_node.Max), Self);
                    _absent = true;
                    Context.Parent.Tell(new ShardPassivate(StopCall.Instance));
                    break;
                }
                _counted = true;
                _call = Context.ActorOf(CallActor.Props(_callId, start.Create.Policy, _store, restored: null), "call");
                Context.Watch(_call);
                _call.Forward(start.Create);
                break;
            case ICallCommand command when _call is not null:
                _call.Forward(command);
                break;
            case ICallCommand command when _absent:
                Sender.Tell(CallRefused.NotFound(command.CallId), Self);
                break;
            case ICallCommand command when _unreadable:
                Sender.Tell(CallRefused.Unreadable(command.CallId), Self);
                break;
            case ReadAgain:
                _unreadable = false;
                break;
            case ICallCommand:
                Stash.Stash();
                if (_loading) break;
                _loading = true;
                _loadTimeout = Context.System.Scheduler.ScheduleTellOnceCancelable(LoadTimeout, Self, LoadTimedOut.Instance, Self);
                // One request in the store at a time: a hanging database is not handed a queue of them, and the answer
                // to one given up on, when it comes, serves this read. (After the timer: whoever sees the request sees
                // it timed.)
                if (_asked) break;
                _asked = true;
                _store.Tell(new LoadCall(_callId), Self);
                break;
            case LoadTimedOut when _loading:
                _log.Warning("The record of call {call_id} was not read within {Timeout}; its requests are told to try again", _callId, LoadTimeout);
                OnLoaded(new CallLoaded(_callId, null, Failed: true));
                break;
            case CallLoaded loaded:
                _asked = false;
                if (!_loading) break; // given up on, and no read since: the next read asks again
                _loadTimeout?.Cancel();
                OnLoaded(loaded);
                break;
            case LoadTimedOut:
                break;
            case CallHeldAfterEnd when _counted:
                // Ended: held only to answer about itself, it no longer counts against the node's limit, and the oldest
                // ended calls past it retire now (each through its own entity, as a retention's end does).
                _counted = false;
                _heldEnded = true;
                foreach (var retiring in _node.Ended(_callId, Self)) retiring.Tell(RetireEarly.Instance);
                break;
            case CallHeldAfterEnd:
                break;
            case EndedCallChanged changed:
                _store.Tell(new SaveCall(changed.Record), ActorRefs.NoSender);
                break;
            case RetireEarly:
                _call?.Tell(RetireEarly.Instance);
                break;
            case Calls.Passivate:
                // The call retires: stopped through its shard, which holds what arrives meanwhile for a new incarnation
                // (that finds no record and answers "not found"), so no command in flight is lost.
                Context.Parent.Tell(new ShardPassivate(StopCall.Instance));
                break;
            case StopCall when _call is not null:
                _call.Tell(PoisonPill.Instance); // queued behind what was forwarded; Terminated then stops the entity
                break;
            case StopCall:
                Context.Stop(Self);
                break;
            case Terminated:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnLoaded(CallLoaded loaded)
    {
        _loading = false;
        if (loaded.Failed)
        {
            // Whether the call exists is not known: its sockets and requests are told to try again (503, close
            // 1013), not that it is gone, which a browser would take as final.
            _unreadable = true;
            _readAgain = Context.System.Scheduler.ScheduleTellOnceCancelable(ReadAgainAfter, Self, ReadAgain.Instance, Self);
        }
        else if (loaded.Record is { } record)
        {
            _node.Add();
            _counted = true;
            _call = Context.ActorOf(CallActor.Props(_callId, record.Policy, _store, record), "call");
            Context.Watch(_call);
        }
        else
        {
            _absent = true; // an id never started in this cluster, or a call already retired
            Context.Parent.Tell(new ShardPassivate(StopCall.Instance));
        }
        Stash.UnstashAll();
    }

    protected override void PostStop()
    {
        if (_counted) _node.Remove();
        if (_heldEnded) _node.Gone(_callId);
        _readAgain?.Cancel();
        _loadTimeout?.Cancel();
    }

    /// <summary>As on a single node: a call that throws keeps its state and skips the message.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => ResumeOnFailure;

    private static readonly SupervisorStrategy ResumeOnFailure = new OneForOneStrategy(_ => Directive.Resume);
}
