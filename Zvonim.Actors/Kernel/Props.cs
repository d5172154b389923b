namespace Zvonim.Actors.Kernel;

/// <summary>
/// The recipe for an actor. A restart builds a fresh instance from the same recipe, so the factory must not
/// hand back a shared object.
/// </summary>
public sealed class Props
{
    private readonly Func<ActorBase> _factory;

    private Props(Func<ActorBase> factory, Type actorType)
    {
        _factory = factory;
        ActorType = actorType;
    }

    public Type ActorType { get; }

    public static Props Create<TActor>(Func<TActor> factory) where TActor : ActorBase =>
        new(factory, typeof(TActor));

    internal ActorBase NewActor() => _factory();
}
