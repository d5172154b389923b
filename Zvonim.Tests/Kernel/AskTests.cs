using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>Ask: replies, virtual-time timeouts, failures, wrong reply types, late replies.</summary>
public sealed class AskTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private static readonly TimeSpan RealTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private sealed record Echo(string Text);

    private sealed record Fail(string Reason);

    private sealed record ReplyInt(int Value);

    private sealed record Ignore;

    private sealed record Hold;

    /// <summary>Like <see cref="Hold"/> but without acknowledging, so the ask stays open.</summary>
    private sealed record Keep;

    private sealed record Release(object Reply);

    private sealed class Responder : ReceiveActor
    {
        private IActorRef _held = ActorRefs.Nobody;

        public Responder()
        {
            Receive<Echo>(e => Sender.Tell(e.Text, Self));
            Receive<Fail>(f => Sender.Tell(new Status.Failure(new InvalidOperationException(f.Reason)), Self));
            Receive<ReplyInt>(r => Sender.Tell(r.Value, Self));
            Receive<Ignore>(_ => { });
            Receive<Hold>(_ =>
            {
                _held = Sender;
                Sender.Tell("held", Self);
            });
            Receive<Keep>(_ => _held = Sender);
            Receive<Release>(r =>
            {
                _held.Tell(r.Reply, Self);
                Sender.Tell("released", Self);
            });
        }
    }

    private IActorRef NewResponder() => Sys.ActorOf(Props.Create(() => new Responder()));

    [Fact]
    public async Task Ask_completes_with_the_reply()
    {
        var actor = NewResponder();

        var reply = await actor.Ask<string>(new Echo("hello"), AskTimeout).WaitAsync(RealTimeout);

        Assert.Equal("hello", reply);
    }

    [Fact]
    public async Task Ask_times_out_in_virtual_time_with_AskTimeoutException()
    {
        var actor = NewResponder();

        var task = actor.Ask<string>(new Ignore(), AskTimeout);
        Time.Advance(AskTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(task.IsCompleted); // nothing but virtual time can end it, and not yet

        Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(task.IsFaulted); // the timer fired synchronously inside Advance: no real waiting
        await Assert.ThrowsAsync<AskTimeoutException>(() => task);
    }

    [Fact]
    public async Task A_reply_before_the_timeout_wins_and_the_timeout_no_longer_fires()
    {
        var actor = NewResponder();

        var reply = await actor.Ask<string>(new Echo("quick"), AskTimeout).WaitAsync(RealTimeout);
        await AwaitAssert(() => Assert.Equal(0, Time.ActiveTimers)); // the ask timer was disposed
        var deadLetters = Sys.DeadLetterCount;
        Time.Advance(AskTimeout * 2);

        Assert.Equal("quick", reply);
        Assert.Equal(deadLetters, Sys.DeadLetterCount);
    }

    [Fact]
    public async Task A_Status_Failure_reply_fails_the_ask_with_its_cause()
    {
        var actor = NewResponder();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => actor.Ask<string>(new Fail("no such room"), AskTimeout).WaitAsync(RealTimeout));

        Assert.Equal("no such room", ex.Message);
    }

    [Fact]
    public async Task A_reply_of_the_wrong_type_fails_the_ask_with_InvalidCastException()
    {
        var actor = NewResponder();

        await Assert.ThrowsAsync<InvalidCastException>(
            () => actor.Ask<string>(new ReplyInt(42), AskTimeout).WaitAsync(RealTimeout));
    }

    [Fact]
    public async Task A_late_reply_after_the_timeout_goes_to_dead_letters_and_the_ask_stays_timed_out()
    {
        var probe = CreateTestProbe();
        var actor = NewResponder();

        // the actor keeps the asker's address without answering...
        var task = actor.Ask<string>(new Keep(), AskTimeout);
        probe.Send(actor, new Echo("barrier"));
        Assert.Equal("barrier", probe.ExpectMsg<string>()); // Keep was processed before the barrier
        Time.Advance(AskTimeout);
        await Assert.ThrowsAsync<AskTimeoutException>(() => task);

        // ...and answers once the ask has timed out
        var before = Sys.DeadLetterCount;
        probe.Send(actor, new Release("too late"));
        Assert.Equal("released", probe.ExpectMsg<string>()); // the reply was told before this

        Assert.Equal(before + 1, Sys.DeadLetterCount);
        await Assert.ThrowsAsync<AskTimeoutException>(() => task);
    }

    [Fact]
    public async Task A_second_reply_to_a_completed_ask_goes_to_dead_letters()
    {
        var probe = CreateTestProbe();
        var actor = NewResponder();
        Assert.Equal("held", await actor.Ask<string>(new Hold(), AskTimeout).WaitAsync(RealTimeout));

        var before = Sys.DeadLetterCount;
        probe.Send(actor, new Release("again"));
        Assert.Equal("released", probe.ExpectMsg<string>());

        Assert.Equal(before + 1, Sys.DeadLetterCount);
    }

    [Fact]
    public async Task Asking_a_stopped_actor_times_out_and_the_question_is_a_dead_letter()
    {
        var watcher = CreateTestProbe();
        var actor = NewResponder();
        watcher.Watch(actor);
        actor.Tell(PoisonPill.Instance);
        watcher.ExpectTerminated(actor);
        var before = Sys.DeadLetterCount;

        var task = actor.Ask<string>(new Echo("anyone?"), AskTimeout);
        Assert.Equal(before + 1, Sys.DeadLetterCount);
        Time.Advance(AskTimeout);

        await Assert.ThrowsAsync<AskTimeoutException>(() => task);
    }

    [Fact]
    public async Task Cancelling_the_token_cancels_the_ask()
    {
        var actor = NewResponder();
        using var cts = new CancellationTokenSource();

        var task = actor.Ask<string>(new Ignore(), AskTimeout, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(RealTimeout));
    }
}
