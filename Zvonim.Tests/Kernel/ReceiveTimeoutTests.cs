using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>Receive timeout on virtual time. Every test waits for the actor to settle (a round trip with a message that
/// does not influence the timeout) before advancing the clock, because the timer is re-armed after the handler.</summary>
public sealed class ReceiveTimeoutTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(100);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);

    /// <summary>A round trip that does not touch the receive timeout.</summary>
    private sealed record Sync : INotInfluenceReceiveTimeout;

    private sealed record Peek : INotInfluenceReceiveTimeout;

    private sealed record SetTimeout(TimeSpan? Value);

    private sealed record Busy(Task Gate);

    private sealed record TimedOut(DateTimeOffset At);

    private sealed class Idler : ReceiveActor
    {
        public Idler(IActorRef probe, TimeSpan? initial)
        {
            if (initial is { } t) Context.SetReceiveTimeout(t);
            Receive<ReceiveTimeout>(_ => probe.Tell(new TimedOut(Context.System.TimeProvider.GetUtcNow())));
            Receive<Sync>(_ => probe.Tell("synced"));
            Receive<Peek>(_ => probe.Tell("peeked"));
            Receive<SetTimeout>(s =>
            {
                Context.SetReceiveTimeout(s.Value);
                probe.Tell("set");
            });
            ReceiveAsync<Busy>(async b =>
            {
                probe.Tell("busy");
                await b.Gate;
                probe.Tell("idle");
            });
            Receive<string>(s => probe.Tell("got:" + s));
        }
    }

    private (IActorRef Actor, TestProbe Probe, DateTimeOffset Start) Start(TimeSpan? initial)
    {
        var probe = CreateTestProbe();
        var start = Time.GetUtcNow();
        var actor = Sys.ActorOf(Props.Create(() => new Idler(probe, initial)));
        return (actor, probe, start);
    }

    private static void Settle(IActorRef actor, TestProbe probe)
    {
        actor.Tell(new Sync());
        Assert.Equal("synced", probe.ExpectMsg<string>());
    }

    [Fact]
    public void A_timeout_set_in_the_constructor_fires_after_the_idle_period_without_any_message()
    {
        var (_, probe, start) = Start(Period);

        Time.Advance(Period - TimeSpan.FromSeconds(1));
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(start + Period, probe.ExpectMsg<TimedOut>().At);
    }

    [Fact]
    public void An_ordinary_message_resets_the_idle_period()
    {
        var (actor, probe, start) = Start(Period);

        Time.Advance(TimeSpan.FromSeconds(60));
        actor.Tell("hello");
        Assert.Equal("got:hello", probe.ExpectMsg<string>());
        Settle(actor, probe);
        Time.Advance(TimeSpan.FromSeconds(60)); // 120 s since start, 60 s since the message
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(39));
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(start + TimeSpan.FromSeconds(160), probe.ExpectMsg<TimedOut>().At);
    }

    [Fact]
    public void A_message_implementing_INotInfluenceReceiveTimeout_does_not_reset_it()
    {
        var (actor, probe, start) = Start(Period);

        Time.Advance(TimeSpan.FromSeconds(60));
        actor.Tell(new Peek());
        Assert.Equal("peeked", probe.ExpectMsg<string>());
        Settle(actor, probe);
        Time.Advance(TimeSpan.FromSeconds(40));

        Assert.Equal(start + Period, probe.ExpectMsg<TimedOut>().At);
    }

    [Fact]
    public void It_keeps_firing_every_period_until_turned_off_with_null()
    {
        var (actor, probe, start) = Start(Period);

        for (var i = 1; i <= 3; i++)
        {
            Time.Advance(Period);
            Assert.Equal(start + Period * i, probe.ExpectMsg<TimedOut>().At);
            Settle(actor, probe);
        }

        actor.Tell(new SetTimeout(null));
        Assert.Equal("set", probe.ExpectMsg<string>());
        Settle(actor, probe);
        Assert.Equal(0, Time.ActiveTimers);
        Time.Advance(Period * 10);

        probe.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_timeout_can_be_turned_on_later_by_a_message()
    {
        var (actor, probe, _) = Start(null);
        Time.Advance(Period * 10);
        probe.ExpectNoMsg(Quiet);

        actor.Tell(new SetTimeout(TimeSpan.FromSeconds(5)));
        Assert.Equal("set", probe.ExpectMsg<string>());
        Settle(actor, probe);
        var armedAt = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromSeconds(4));
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(armedAt + TimeSpan.FromSeconds(5), probe.ExpectMsg<TimedOut>().At);
    }

    [Fact]
    public void The_idle_period_counts_from_the_end_of_a_long_message_so_a_tick_that_fired_meanwhile_is_dropped()
    {
        var (actor, probe, start) = Start(Period);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        actor.Tell(new Busy(gate.Task));
        Assert.Equal("busy", probe.ExpectMsg<string>());
        Time.Advance(Period); // the timer armed at start fires while the actor is busy
        gate.SetResult();
        Assert.Equal("idle", probe.ExpectMsg<string>());
        Settle(actor, probe); // the stale tick was queued before this round trip
        probe.ExpectNoMsg(Quiet);

        Time.Advance(Period - TimeSpan.FromSeconds(1));
        probe.ExpectNoMsg(Quiet);
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(start + Period * 2, probe.ExpectMsg<TimedOut>().At);
    }

    [Fact]
    public void The_timeout_is_cleared_when_the_actor_stops()
    {
        var (actor, probe, _) = Start(Period);
        probe.Watch(actor);
        var deadLetters = Sys.DeadLetterCount;

        actor.Tell(PoisonPill.Instance);
        probe.ExpectTerminated(actor);
        Assert.Equal(0, Time.ActiveTimers);
        Time.Advance(Period * 3);

        probe.ExpectNoMsg(Quiet);
        Assert.Equal(deadLetters, Sys.DeadLetterCount);
    }
}
