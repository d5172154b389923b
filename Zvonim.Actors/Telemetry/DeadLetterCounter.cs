using Akka.Actor;
using Akka.Event;

namespace Zvonim.Actors.Telemetry;

/// <summary>Counts every dead letter (suppressed ones too) for <see cref="ZvonimMetrics.DeadLetters"/>.</summary>
public sealed class DeadLetterCounter : UntypedActor
{
    public static Props Props() => ActorFactory.Props(() => new DeadLetterCounter());

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

    protected override void OnReceive(object message)
    {
        if (message is AllDeadLetters) ZvonimMetrics.DeadLetters.Add(1);
    }
}
