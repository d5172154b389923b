namespace Zvonim.Actors.Kernel;

public enum Directive
{
    /// <summary>Keep the instance and its state, carry on with the next message.</summary>
    Resume,
    /// <summary>Replace the instance with a fresh one from the same <see cref="Props"/>; the mailbox is kept.</summary>
    Restart,
    Stop,
    /// <summary>Fail the supervisor itself, so its own parent decides.</summary>
    Escalate,
}

/// <summary>How a parent treats a failing child. Akka's default: one-for-one, restart on any exception, stop when the
/// child could not even be created.</summary>
public abstract class SupervisorStrategy
{
    public static readonly SupervisorStrategy Default = new OneForOneStrategy(ex => ex switch
    {
        ActorInitializationException => Directive.Stop,
        _ => Directive.Restart,
    });

    public static readonly SupervisorStrategy StoppingStrategy = new OneForOneStrategy(_ => Directive.Stop);

    public abstract Directive Decide(Exception cause);
}

public sealed class OneForOneStrategy(Func<Exception, Directive> decider) : SupervisorStrategy
{
    public override Directive Decide(Exception cause) => decider(cause);
}
