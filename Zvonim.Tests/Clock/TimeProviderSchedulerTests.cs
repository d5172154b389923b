using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;
using Zvonim.Actors.Time;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Clock;

/// <summary>Akka's timers on the injected clock: nothing fires until the fake clock is moved, everything due fires
/// when it is, and a cancelled timer neither fires nor holds its message.</summary>
public sealed class TimeProviderSchedulerTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void The_actor_system_runs_on_the_fake_clock()
    {
        Assert.IsType<TimeProviderScheduler>(Sys.Scheduler);
        Assert.Same(Time, Sys.Clock());
        Assert.Equal(Time.GetUtcNow(), Sys.Scheduler.Now);
        var before = Sys.Scheduler.MonotonicClock;
        Time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(Clocks.Start + TimeSpan.FromHours(3), Sys.Scheduler.Now);
        Assert.Equal(TimeSpan.FromHours(3), Sys.Scheduler.MonotonicClock - before);
    }

    [Fact]
    public void A_scheduled_tell_arrives_when_its_time_comes_and_not_before()
    {
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMinutes(5), TestActor, "due", ActorRefs.NoSender);
        Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromTicks(1));
        ExpectMsg("due", TimeSpan.FromSeconds(3));
        Time.Advance(TimeSpan.FromHours(1));
        ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Timers_due_in_one_advance_fire_in_due_order()
    {
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(30), TestActor, "third", ActorRefs.NoSender);
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(10), TestActor, "first", ActorRefs.NoSender);
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(20), TestActor, "second", ActorRefs.NoSender);
        Time.Advance(TimeSpan.FromMinutes(1));
        ExpectMsg("first", TimeSpan.FromSeconds(3));
        ExpectMsg("second", TimeSpan.FromSeconds(3));
        ExpectMsg("third", TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_repeated_tell_arrives_once_per_interval()
    {
        var cancelable = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TestActor, "tick", ActorRefs.NoSender);
        Time.Advance(TimeSpan.FromSeconds(1));
        ExpectMsg("tick", TimeSpan.FromSeconds(3));
        for (var i = 0; i < 3; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(10));
            ExpectMsg("tick", TimeSpan.FromSeconds(3));
        }
        cancelable.Cancel();
        Time.Advance(TimeSpan.FromMinutes(1));
        ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_cancelled_tell_never_arrives_and_its_message_is_not_kept_until_its_due_time()
    {
        var (cancelable, message) = ScheduleHeavy();
        cancelable.Cancel();
        for (var i = 0; i < 10 && message.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(message.IsAlive, "a cancelled timer still holds its message");
        Time.Advance(TimeSpan.FromDays(1));
        ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Long_timers_share_one_clock_timer_fire_in_due_order_and_cancelled_ones_do_not_pile_up()
    {
        var scheduler = (TimeProviderScheduler)Sys.Scheduler;
        var cancelled = Enumerable.Range(0, 20_000)
            .Select(i => Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(i), TestActor, "never", ActorRefs.NoSender))
            .ToList();
        for (var i = 3; i > 0; i--) Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMinutes(i), TestActor, $"after {i} min", ActorRefs.NoSender);
        foreach (var cancelable in cancelled) cancelable.Cancel();
        Assert.InRange(scheduler.SharedCount, 3, 10_000); // the dead are dropped as they dominate, not kept for 5 minutes

        Time.Advance(TimeSpan.FromMinutes(2));
        ExpectMsg("after 1 min", TimeSpan.FromSeconds(3));
        ExpectMsg("after 2 min", TimeSpan.FromSeconds(3));
        ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromMinutes(10));
        ExpectMsg("after 3 min", TimeSpan.FromSeconds(3));
        ExpectNoMsg(Quiet);
        Assert.Equal(0, scheduler.SharedCount);
    }

    [Fact]
    public void A_receive_timeout_fires_in_virtual_time_after_the_last_message()
    {
        var actor = Sys.ActorOf(Props.Create(() => new IdleWatcher(TestActor)));
        actor.Tell(new Ping(), TestActor); // answered after the timer was armed at creation
        ExpectMsg<Ping>(TimeSpan.FromSeconds(3));
        Time.Advance(TimeSpan.FromSeconds(29));
        ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(1));
        ExpectMsg<ReceiveTimeout>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Without_a_clock_an_actor_system_keeps_the_system_clock()
    {
        using var system = ActorSystem.Create("plain", TimeProviderScheduler.ConfigFor(TimeProvider.System));
        Assert.Same(TimeProvider.System, system.Clock());
        Assert.InRange(system.Scheduler.Now, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void A_clock_key_that_names_no_clock_stops_the_actor_system_from_starting()
    {
        var config = ConfigurationFactory.ParseString($"{TimeProviderScheduler.ClockKeyPath} = \"nobody\"")
            .WithFallback(TimeProviderScheduler.ConfigFor(TimeProvider.System));
        var failure = Record.Exception(() => ActorSystem.Create("broken", config).Dispose());
        Assert.NotNull(failure);
        Assert.Contains(TimeProviderScheduler.ClockKeyPath, failure.ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (ICancelable, WeakReference) ScheduleHeavy()
    {
        var message = new byte[1 << 20];
        var cancelable = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromHours(1), TestActor, message, ActorRefs.NoSender);
        return (cancelable, new WeakReference(message));
    }

    private sealed record Ping : INotInfluenceReceiveTimeout;

    private sealed class IdleWatcher : ReceiveActor
    {
        public IdleWatcher(IActorRef report)
        {
            Context.SetReceiveTimeout(TimeSpan.FromSeconds(30));
            Receive<Ping>(ping => Sender.Tell(ping));
            Receive<ReceiveTimeout>(timeout =>
            {
                report.Tell(timeout);
                Context.SetReceiveTimeout(null);
            });
        }
    }
}
