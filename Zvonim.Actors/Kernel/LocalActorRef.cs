namespace Zvonim.Actors.Kernel;

internal sealed class LocalActorRef(ActorCell cell, ActorPath path) : IInternalActorRef
{
    public ActorPath Path { get; } = path;

    public ActorSystem System => Cell.System;

    internal ActorCell Cell { get; } = cell;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Cell.Post(new Envelope(message, sender))) Cell.System.DeadLetter(message, sender, this);
    }

    public override string ToString() => Path.ToString();
}
