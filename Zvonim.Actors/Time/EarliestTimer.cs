using Akka.Actor;

namespace Zvonim.Actors.Time;

/// <summary>
/// One timer of an actor for many due dates (dormant rooms' ends of life, ended calls' retirements): set for the
/// earliest, moved when an earlier one comes. Its message carries the date it was set for: the owner tells it that
/// date when the message arrives and then takes out whatever is due, and a message from a timer it has moved since
/// leaves the current one set.
/// </summary>
public sealed class EarliestTimer(IActorRef owner, Func<DateTimeOffset, object> message, TimeProvider time, IScheduler scheduler)
{
    private (ICancelable Timer, DateTimeOffset At)? _set;

    /// <summary>Sets the timer for <paramref name="next"/>, unless it is set for then or earlier already.</summary>
    public void Ensure(DateTimeOffset? next)
    {
        if (next is not { } at || _set is { } set && set.At <= at) return;
        _set?.Timer.Cancel();
        var delay = at - time.GetUtcNow();
        _set = (scheduler.ScheduleTellOnceCancelable(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, owner, message(at), owner), at);
    }

    /// <summary>The message of the timer set for <paramref name="at"/> arrived.</summary>
    public void Fired(DateTimeOffset at)
    {
        if (_set?.At == at) _set = null;
    }

    public void Cancel() => _set?.Timer.Cancel();
}
