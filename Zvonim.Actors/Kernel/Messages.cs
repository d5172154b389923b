namespace Zvonim.Actors.Kernel;

/// <summary>Messages of this kind do not reset an actor's receive timeout (status queries, ticks).</summary>
public interface INotInfluenceReceiveTimeout;

/// <summary>An ordinary message that stops the actor when it is processed.</summary>
public sealed class PoisonPill
{
    public static readonly PoisonPill Instance = new();

    private PoisonPill() { }
}

/// <summary>Sent to an actor that has been idle for its receive timeout.</summary>
public sealed class ReceiveTimeout : INotInfluenceReceiveTimeout
{
    public static readonly ReceiveTimeout Instance = new();

    private ReceiveTimeout() { }
}

/// <summary>Tells a watcher that <paramref name="ActorRef"/> has stopped.</summary>
public sealed record Terminated(IActorRef ActorRef);

public static class Status
{
    /// <summary>A reply that fails the asker's task with <paramref name="Cause"/>.</summary>
    public sealed record Failure(Exception Cause);
}

/// <summary>A message nobody could receive: the target had stopped, or never existed.</summary>
public sealed record DeadLetter(object Message, IActorRef? Sender, IActorRef Recipient);

public sealed class ActorInitializationException(string message, Exception inner) : Exception(message, inner);

/// <summary>A watched actor stopped and the watcher had no handler for <see cref="Terminated"/>.</summary>
public sealed class DeathPactException(IActorRef dead) : Exception($"Watched actor {dead.Path} terminated and the watcher did not handle it")
{
    public IActorRef DeadActor { get; } = dead;
}

public sealed class InvalidActorNameException(string message) : Exception(message);
