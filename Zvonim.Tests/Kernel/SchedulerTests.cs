using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>The scheduler runs on the system's (virtual) clock.</summary>
public sealed class SchedulerTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);

    private sealed class Echo : ReceiveActor
    {
        public Echo(IActorRef probe) => ReceiveAny(m => probe.Tell(m, Sender));
    }

    [Fact]
    public void A_scheduled_tell_is_delivered_after_the_delay_and_not_before()
    {
        var probe = CreateTestProbe();
        var sender = CreateTestProbe();

        var scheduled = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(10), probe, "tick", sender);
        Time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("tick", probe.ExpectMsg<string>());
        Assert.Same(sender, probe.LastSender);
        Assert.False(scheduled.IsCancellationRequested);
        Time.Advance(TimeSpan.FromMinutes(1));
        probe.ExpectNoMsg(Quiet); // once only
    }

    [Fact]
    public void A_scheduled_tell_reaches_an_actor()
    {
        var probe = CreateTestProbe();
        var echo = Sys.ActorOf(Props.Create(() => new Echo(probe)));

        Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(3), echo, "later", probe);
        Time.Advance(TimeSpan.FromSeconds(2));
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("later", probe.ExpectMsg<string>());
        Assert.Same(probe, probe.LastSender);
    }

    [Fact]
    public void Cancel_prevents_delivery()
    {
        var probe = CreateTestProbe();

        var scheduled = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(10), probe, "tick", null);
        Time.Advance(TimeSpan.FromSeconds(5));
        scheduled.Cancel();
        Time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(scheduled.IsCancellationRequested);
        Assert.Equal(0, Time.ActiveTimers);
        probe.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Cancel_after_delivery_changes_nothing()
    {
        var probe = CreateTestProbe();
        var scheduled = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(1), probe, "tick", null);
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("tick", probe.ExpectMsg<string>());

        scheduled.Cancel();

        Assert.False(scheduled.IsCancellationRequested);
    }

    [Fact]
    public void Several_scheduled_tells_arrive_in_due_order()
    {
        var probe = CreateTestProbe();

        Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(3), probe, 3, null);
        Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(1), probe, 1, null);
        Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(2), probe, 2, null);
        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, probe.ExpectMsg<int>());
        Assert.Equal(2, probe.ExpectMsg<int>());
        Assert.Equal(3, probe.ExpectMsg<int>());
    }

    [Fact]
    public void A_scheduled_tell_to_a_stopped_actor_is_a_dead_letter()
    {
        var probe = CreateTestProbe();
        var echo = Sys.ActorOf(Props.Create(() => new Echo(probe)));
        probe.Watch(echo);
        Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(1), echo, "too late", null);
        echo.Tell(PoisonPill.Instance);
        probe.ExpectTerminated(echo);
        var before = Sys.DeadLetterCount;

        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(before + 1, Sys.DeadLetterCount);
    }
}
