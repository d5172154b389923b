using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Calls;

/// <summary>A call asks its manager to retire it. The manager stops routing to it first and then stops it with a
/// message queued behind everything already routed, so no command in flight is lost (Akka's passivation).</summary>
public sealed record Passivate(string CallId);

/// <summary>How many calls the node carries now.</summary>
public sealed record GetCallCount : INotInfluenceReceiveTimeout;

public sealed record CallCount(int Calls);

/// <summary>
/// One per node: creates a <see cref="CallActor"/> child per call (named by the call id), routes every
/// <see cref="ICallCommand"/> to it, and answers "not found" for calls it does not have.
/// </summary>
public sealed class CallManager : ReceiveActor
{
    public const string Name = "calls";

    /// <param name="callProps">Builds a call's actor; tests put a probe-backed actor here.</param>
    /// <param name="maxCalls">Calls (of every kind) the node carries at most; creating more is refused.</param>
    public static Props Props(Func<string, RoomPolicy, Props>? callProps = null, int maxCalls = int.MaxValue) =>
        ActorFactory.Props(() => new CallManager(callProps ?? CallActor.Props, maxCalls));

    private readonly Dictionary<string, (IActorRef Call, string Kind)> _calls = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public CallManager(Func<string, RoomPolicy, Props> callProps, int maxCalls)
    {
        Receive<CreateCall>(create =>
        {
            if (_calls.Count >= maxCalls)
            {
                Sender.Tell(CallRefused.AtCapacity(maxCalls), Self);
                return;
            }
            var callId = Ids.New();
            var call = Context.ActorOf(callProps(callId, create.Policy), callId);
            _calls[callId] = (call, create.Policy.Kind);
            Context.Watch(call);
            call.Forward(create);
        });
        Receive<ICallCommand>(command =>
        {
            if (_calls.TryGetValue(command.CallId, out var entry) && (command.Kind is null || command.Kind == entry.Kind))
                entry.Call.Forward(command);
            else
                Sender.Tell(CallRefused.NotFound(command.CallId), Self);
        });
        Receive<Passivate>(passivate =>
        {
            if (_calls.Remove(passivate.CallId, out var entry)) entry.Call.Tell(PoisonPill.Instance, Self);
        });
        Receive<GetCallCount>(_ => Sender.Tell(new CallCount(_calls.Count), Self));
        Receive<Terminated>(terminated =>
        {
            var callId = terminated.ActorRef.Path.Name;
            if (_calls.TryGetValue(callId, out var entry) && Equals(entry.Call, terminated.ActorRef)) _calls.Remove(callId);
            _log.Debug("Call {call_id} is gone", callId);
        });
    }

    /// <summary>A call that throws keeps its state and skips the message: ending people's call for a bug in one
    /// message would be worse, and <see cref="RoomState"/> checks before it changes anything.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => ResumeOnFailure;

    private static readonly SupervisorStrategy ResumeOnFailure = new OneForOneStrategy(_ => Directive.Resume);
}
