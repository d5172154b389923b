using Microsoft.Extensions.Logging;

namespace Zvonim.Actors.Kernel;

/// <summary>
/// Base of every actor. The kernel guarantees one message at a time per instance, so an actor's fields need no locks.
/// </summary>
public abstract class ActorBase
{
    [ThreadStatic] private static ActorCell? t_constructing;

    private readonly ActorCell _cell;

    protected ActorBase()
    {
        _cell = t_constructing ?? throw new InvalidOperationException(
            "Actors are created by the kernel (ActorOf with Props), not with 'new'.");
    }

    protected IActorContext Context => _cell;

    protected IActorRef Self => _cell.Self;

    protected IActorRef Sender => _cell.Sender;

    protected ILogger Log => _cell.Log;

    /// <summary>How this actor treats its failing children.</summary>
    public virtual SupervisorStrategy SupervisorStrategy => SupervisorStrategy.Default;

    /// <summary>Returns the handler's task, or <c>null</c> when the actor has no handler for the message.</summary>
    internal abstract Task? Receive(object message);

    protected virtual void PreStart() { }

    protected virtual void PostStop() { }

    /// <summary>Akka's default: stop every child and run <see cref="PostStop"/> on the failed instance.</summary>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.Children)
        {
            Context.Unwatch(child); // the new instance must not hear of children it never had
            Context.Stop(child);
        }
        PostStop();
    }

    protected virtual void PostRestart(Exception reason) => PreStart();

    // The kernel's way in to the protected lifecycle hooks.
    internal void InvokePreStart() => PreStart();

    internal void InvokePostStop() => PostStop();

    internal void InvokePreRestart(Exception reason, object? message) => PreRestart(reason, message);

    internal void InvokePostRestart(Exception reason) => PostRestart(reason);

    /// <summary>Unhandled messages are logged; an unhandled <see cref="Terminated"/> is a death pact.</summary>
    protected virtual void Unhandled(object message)
    {
        if (message is Terminated terminated) throw new DeathPactException(terminated.ActorRef);
        _cell.System.PublishUnhandled(message, _cell.Self);
    }

    internal void HandleUnhandled(object message) => Unhandled(message);

    internal static ActorBase Construct(ActorCell cell, Props props)
    {
        var previous = t_constructing;
        t_constructing = cell;
        try
        {
            return props.NewActor();
        }
        finally
        {
            t_constructing = previous;
        }
    }
}
