using Microsoft.Extensions.Logging;
using Zvonim.Actors.Kernel;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Calls;

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
    public static Props Props(Func<string, RoomPolicy, Props>? callProps = null) =>
        Kernel.Props.Create(() => new CallManager(callProps ?? CallActor.Props));

    public CallManager(Func<string, RoomPolicy, Props> callProps)
    {
        Receive<CreateCall>(create =>
        {
            var callId = Ids.New();
            var call = Context.ActorOf(callProps(callId, create.Policy), callId);
            Context.Watch(call);
            call.Forward(create, Context);
        });
        Receive<ICallCommand>(command =>
        {
            var call = Context.Child(command.CallId);
            if (call.IsNobody()) Sender.Tell(CallRefused.NotFound(command.CallId), Self);
            else call.Forward(command, Context);
        });
        Receive<GetCallCount>(_ => Sender.Tell(new CallCount(Context.Children.Count()), Self));
        Receive<Terminated>(t => Log.LogDebug("Call {call_id} is gone", t.ActorRef.Path.Name));
    }

    /// <summary>A call that throws keeps its state and skips the message: ending people's call for a bug in one
    /// message would be worse, and <see cref="RoomState"/> checks before it changes anything.</summary>
    public override SupervisorStrategy SupervisorStrategy { get; } = new OneForOneStrategy(_ => Directive.Resume);
}
