using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>Messages that find no recipient are counted as dead letters.</summary>
public sealed class DeadLetterTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private sealed record Busy(Task Gate);

    private sealed class Worker : ReceiveActor
    {
        public Worker(IActorRef events)
        {
            ReceiveAsync<Busy>(async b =>
            {
                events.Tell("busy");
                await b.Gate;
            });
            Receive<string>(_ => Context.Stop(Self), s => s == "stop-self");
            Receive<string>(s => events.Tell("handled:" + s));
        }
    }

    private sealed class WatchingParent : ReceiveActor
    {
        public WatchingParent(IActorRef events)
        {
            for (var i = 0; i < 3; i++) Context.Watch(Context.ActorOf(Props.Create(() => new Worker(events)), "w" + i));
            Receive<Terminated>(_ => { });
        }
    }

    private (IActorRef Worker, TestProbe Events) NewWorker()
    {
        var events = CreateTestProbe();
        var worker = Sys.ActorOf(Props.Create(() => new Worker(events)));
        events.Watch(worker);
        return (worker, events);
    }

    [Fact]
    public void Telling_a_stopped_actor_is_a_dead_letter()
    {
        var (worker, events) = NewWorker();
        worker.Tell(PoisonPill.Instance);
        events.ExpectTerminated(worker);
        var before = Sys.DeadLetterCount;

        worker.Tell("anyone there?");
        worker.Tell("hello?", events);

        Assert.Equal(before + 2, Sys.DeadLetterCount);
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Messages_left_in_the_mailbox_when_the_actor_is_stopped_become_dead_letters()
    {
        var (worker, events) = NewWorker();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.Tell(new Busy(gate.Task));
        Assert.Equal("busy", events.ExpectMsg<string>());
        var before = Sys.DeadLetterCount;

        worker.Tell("a");
        worker.Tell("b");
        worker.Tell("c");
        Sys.Stop(worker); // stopping overtakes the queued messages
        gate.SetResult();

        events.ExpectTerminated(worker); // leftovers are counted before watchers are told
        Assert.Equal(before + 3, Sys.DeadLetterCount);
    }

    [Fact]
    public void Messages_behind_a_PoisonPill_become_dead_letters()
    {
        var (worker, events) = NewWorker();
        var before = Sys.DeadLetterCount;

        worker.Tell("first");
        worker.Tell(PoisonPill.Instance);
        worker.Tell("second");
        worker.Tell("third");

        Assert.Equal("handled:first", events.ExpectMsg<string>());
        events.ExpectTerminated(worker);
        Assert.Equal(before + 2, Sys.DeadLetterCount);
    }

    [Fact]
    public void Messages_behind_a_Context_Stop_of_self_become_dead_letters()
    {
        var (worker, events) = NewWorker();
        var before = Sys.DeadLetterCount;

        worker.Tell("stop-self");
        worker.Tell("x");
        worker.Tell("y");

        events.ExpectTerminated(worker);
        Assert.Equal(before + 2, Sys.DeadLetterCount);
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // neither was handled
    }

    [Fact]
    public void Telling_DeadLetters_directly_counts()
    {
        var before = Sys.DeadLetterCount;

        Sys.DeadLetters.Tell("lost");
        Sys.DeadLetters.Tell(new DeadLetter("wrapped", null, ActorRefs.Nobody));

        Assert.Equal(before + 2, Sys.DeadLetterCount);
    }

    [Fact]
    public void Stopping_a_parent_that_watches_its_children_produces_no_dead_letters()
    {
        var events = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new WatchingParent(events)));
        events.Watch(parent);
        var before = Sys.DeadLetterCount;

        Sys.Stop(parent);
        events.ExpectTerminated(parent);

        // leftovers are counted before watchers are told, so the count is final here. The children's Terminated
        // notifications are for the stopping parent itself (Akka drops them while terminating), not lost user messages
        Assert.Equal(before, Sys.DeadLetterCount);
    }
}
