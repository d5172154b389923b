using Akka.Actor;
using Zvonim.Actors.Calls;
using ShardPassivate = Akka.Cluster.Sharding.Passivate;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// A call as a Cluster.Sharding entity, keyed by its id: whichever node a request reaches, the call lives on one node
/// of the cluster. Sharding makes an entity for any id it is asked about, so this one starts empty: a
/// <see cref="StartCall"/> makes it the call (its <see cref="CallActor"/> child, the same actor a single node runs);
/// anything else finds no call and is answered "not found", and the empty entity goes away.
/// </summary>
public sealed class CallEntity(string callId) : UntypedActor
{
    public static Props Props(string callId) => ActorFactory.Props(() => new CallEntity(callId));

    private IActorRef? _call;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StartCall start when _call is null:
                _call = Context.ActorOf(CallActor.Props(callId, start.Create.Policy), "call");
                Context.Watch(_call);
                _call.Forward(start.Create);
                break;
            case ICallCommand command when _call is not null:
                _call.Forward(command);
                break;
            case ICallCommand command: // an id never started in this cluster, or a call already retired
                Sender.Tell(CallRefused.NotFound(command.CallId), Self);
                Context.Parent.Tell(new ShardPassivate(PoisonPill.Instance));
                break;
            case Calls.Passivate:
                // The call retires: stopped through its shard, which holds what arrives meanwhile for a new incarnation
                // (that answers "not found"), so no command in flight is lost.
                Context.Parent.Tell(new ShardPassivate(PoisonPill.Instance));
                break;
            case Terminated:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>As on a single node: a call that throws keeps its state and skips the message.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => ResumeOnFailure;

    private static readonly SupervisorStrategy ResumeOnFailure = new OneForOneStrategy(_ => Directive.Resume);
}
