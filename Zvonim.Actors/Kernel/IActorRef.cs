namespace Zvonim.Actors.Kernel;

/// <summary>The address of an actor: the only way to talk to it. Mirrors Akka.NET's <c>IActorRef</c>.</summary>
public interface IActorRef
{
    ActorPath Path { get; }

    /// <summary>Enqueues <paramref name="message"/>; never blocks, never throws. Undeliverable messages become dead letters.</summary>
    void Tell(object message, IActorRef? sender);
}

/// <summary>Kernel-side view of a reference: which system it belongs to.</summary>
internal interface IInternalActorRef : IActorRef
{
    ActorSystem System { get; }
}

public sealed record ActorPath(ActorPath? Parent, string Name)
{
    public static ActorPath Root(string systemName) => new(null, $"zvonim://{systemName}");

    public ActorPath Child(string name) => new(this, name);

    public override string ToString() => Parent is null ? Name : $"{Parent}/{Name}";
}

public static class ActorRefs
{
    /// <summary>Stands for "no actor": <c>Context.Child</c> returns it for a missing child; messages to it are dropped.</summary>
    public static readonly IActorRef Nobody = new NobodyRef();

    public static readonly IActorRef? NoSender = null;

    public static bool IsNobody(this IActorRef? actorRef) => actorRef is null || ReferenceEquals(actorRef, Nobody);

    private sealed class NobodyRef : IActorRef
    {
        public ActorPath Path { get; } = new(null, "nobody");

        public void Tell(object message, IActorRef? sender) { }

        public override string ToString() => "Nobody";
    }
}

public static class ActorRefExtensions
{
    public static void Tell(this IActorRef target, object message) => target.Tell(message, ActorRefs.NoSender);

    /// <summary>Passes a message on keeping its original sender, as Akka's <c>Forward</c>.</summary>
    public static void Forward(this IActorRef target, object message, IActorContext context) =>
        target.Tell(message, context.Sender);
}
