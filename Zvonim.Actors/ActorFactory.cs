using Akka.Actor;

namespace Zvonim.Actors;

/// <summary>
/// Props from a plain factory: no expression tree to compile (<c>Props.Create(() => new X(...))</c> costs about 2 µs,
/// paid for every socket's PeerActor) and no reflection. For local actors only: such Props cannot be deployed remotely.
/// </summary>
public static class ActorFactory
{
    public static Props Props<TActor>(Func<TActor> create) where TActor : ActorBase =>
        Akka.Actor.Props.CreateBy(new Producer<TActor>(create));

    /// <summary>
    /// Props that make their actor once and then forget how. Every ref to an actor keeps its Props (Akka's
    /// <c>LocalActorRef</c> holds them), and refs outlive actors: a call kept for status after it ended still holds
    /// its peers' refs. Props that captured a socket would keep the whole connection alive that long. The price: such
    /// an actor is not re-created after a failure; it stops (for a PeerActor, its socket has closed in PostStop).
    /// </summary>
    public static Props PropsOnce<TActor>(Func<TActor> create) where TActor : ActorBase =>
        Akka.Actor.Props.CreateBy(new OneShotProducer<TActor>(create));

    private sealed class Producer<TActor>(Func<TActor> create) : IIndirectActorProducer where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);

        public ActorBase Produce() => create();

        public void Release(ActorBase actor)
        {
        }
    }

    private sealed class OneShotProducer<TActor>(Func<TActor> create) : IIndirectActorProducer where TActor : ActorBase
    {
        private Func<TActor>? _create = create;

        public Type ActorType => typeof(TActor);

        public ActorBase Produce() =>
            (Interlocked.Exchange(ref _create, null) ?? throw new InvalidOperationException(
                $"A {typeof(TActor).Name} is made once; after a failure it stops instead of being re-created."))();

        public void Release(ActorBase actor)
        {
        }
    }
}
