using Akka.Actor;

namespace Zvonim.Actors.Time;

public static class ClockExtensions
{
    /// <summary>The clock this actor system's timers run on: what "now" is for its actors.</summary>
    public static TimeProvider Clock(this ActorSystem system) =>
        system.Scheduler is TimeProviderScheduler scheduler ? scheduler.Clock : TimeProvider.System;
}
