using Akka.Actor;

namespace Zvonim.Tests.TestKit;

/// <summary>Stands at an actor's well-known name (the call store's, say) and passes everything to a probe, senders
/// kept, so that a test can answer in its place.</summary>
public sealed class StandIn(IActorRef probe) : UntypedActor
{
    public static Props For(IActorRef probe) => Props.Create(() => new StandIn(probe));

    protected override void OnReceive(object message) => probe.Forward(message);
}
