using Microsoft.Extensions.Logging;

namespace Zvonim.Actors.Kernel;

/// <summary>What an actor sees of itself and the world while it handles a message. Mirrors Akka's <c>IActorContext</c>.</summary>
public interface IActorContext
{
    IActorRef Self { get; }

    /// <summary>The sender of the message being handled (stays the same across an async handler's awaits).</summary>
    IActorRef Sender { get; }

    IActorRef Parent { get; }

    ActorSystem System { get; }

    IEnumerable<IActorRef> Children { get; }

    TimeSpan? ReceiveTimeout { get; }

    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>The child of that name, or <see cref="ActorRefs.Nobody"/>.</summary>
    IActorRef Child(string name);

    /// <summary>Stops self or a child. Asynchronous: the name is free again only after <see cref="Terminated"/>.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Terminated"/> when <paramref name="subject"/> stops, even if it already has.</summary>
    IActorRef Watch(IActorRef subject);

    IActorRef Unwatch(IActorRef subject);

    /// <summary>Sends <see cref="Kernel.ReceiveTimeout"/> after this long without a message; <c>null</c> turns it off.</summary>
    void SetReceiveTimeout(TimeSpan? timeout);

    ILogger Log { get; }
}
