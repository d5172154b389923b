using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>What a parent does with a failing child: restart by default, stop, resume; stop on construction failure.</summary>
public sealed class SupervisionTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private sealed record ChildCreated(IActorRef Child);

    /// <summary>Creates one child named "child" with the given strategy and tells the probe its address.</summary>
    private sealed class Parent : ReceiveActor
    {
        private readonly SupervisorStrategy? _strategy;

        public Parent(Props child, SupervisorStrategy? strategy, IActorRef probe)
        {
            _strategy = strategy;
            var created = Context.ActorOf(child, "child");
            probe.Tell(new ChildCreated(created));
            Receive<string>(_ => Sender.Tell(Context.Children.Count(), Self), s => s == "count-children");
        }

        public override SupervisorStrategy SupervisorStrategy => _strategy ?? base.SupervisorStrategy;
    }

    private sealed class Counter : ReceiveActor
    {
        private readonly IActorRef _events;
        private int _count;

        public Counter(IActorRef events)
        {
            _events = events;
            Receive<string>(_ => _count++, s => s == "inc");
            Receive<string>(_ => Sender.Tell(_count, Self), s => s == "get");
            Receive<string>(s => throw new InvalidOperationException(s), s => s.StartsWith("boom", StringComparison.Ordinal));
            ReceiveAsync<string>(async s =>
            {
                await Task.Yield();
                throw new InvalidOperationException(s);
            }, s => s.StartsWith("async-boom", StringComparison.Ordinal));
        }

        protected override void PreStart() => _events.Tell("pre-start");

        protected override void PostStop() => _events.Tell("post-stop");

        protected override void PreRestart(Exception reason, object? message)
        {
            _events.Tell($"pre-restart:{reason.Message}:{message}");
            base.PreRestart(reason, message);
        }

        protected override void PostRestart(Exception reason)
        {
            _events.Tell($"post-restart:{reason.Message}");
            base.PostRestart(reason);
        }
    }

    private sealed class Exploding : ReceiveActor
    {
        private readonly IActorRef _events;

        public Exploding(IActorRef events)
        {
            _events = events;
            throw new InvalidOperationException("cannot construct");
        }

        protected override void PreStart() => _events.Tell("pre-start");

        protected override void PostStop() => _events.Tell("post-stop");
    }

    /// <summary>The first instance works; every later one throws in its constructor.</summary>
    private sealed class FragileOnRestart : ReceiveActor
    {
        private readonly int _instance;
        private readonly IActorRef _events;

        public FragileOnRestart(int instance, IActorRef events)
        {
            _instance = instance;
            _events = events;
            if (instance > 1) throw new InvalidOperationException("cannot come back");
            Receive<string>(s => throw new InvalidOperationException(s));
        }

        protected override void PostStop() => _events.Tell($"post-stop:{_instance}");
    }

    private (IActorRef Parent, IActorRef Child, TestProbe Events, TestProbe Client) CreateFamily(SupervisorStrategy? strategy)
    {
        var events = CreateTestProbe("events");
        var client = CreateTestProbe("client");
        var childProps = Props.Create(() => new Counter(events));
        var parent = Sys.ActorOf(Props.Create(() => new Parent(childProps, strategy, client)), "parent");
        var child = client.ExpectMsg<ChildCreated>().Child;
        Assert.Equal("pre-start", events.ExpectMsg<string>());
        return (parent, child, events, client);
    }

    [Fact]
    public void By_default_a_failing_child_is_restarted_with_fresh_state_and_the_failing_message_is_not_redelivered()
    {
        var (_, child, events, client) = CreateFamily(null);
        client.Send(child, "inc");
        client.Send(child, "inc");
        client.Send(child, "get");
        Assert.Equal(2, client.ExpectMsg<int>());

        client.Send(child, "boom-1");

        Assert.Equal("pre-restart:boom-1:boom-1", events.ExpectMsg<string>());
        Assert.Equal("post-stop", events.ExpectMsg<string>()); // the default PreRestart runs PostStop on the old instance
        Assert.Equal("post-restart:boom-1", events.ExpectMsg<string>());
        Assert.Equal("pre-start", events.ExpectMsg<string>()); // the default PostRestart runs PreStart on the new one
        client.Send(child, "get");
        Assert.Equal(0, client.ExpectMsg<int>());
        client.Send(child, "inc");
        client.Send(child, "get");
        Assert.Equal(1, client.ExpectMsg<int>());
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // "boom-1" was not retried: no second restart
    }

    [Fact]
    public void Messages_queued_behind_the_failing_one_are_kept_and_handled_by_the_new_instance()
    {
        var (_, child, events, client) = CreateFamily(null);

        client.Send(child, "inc");
        client.Send(child, "boom");
        client.Send(child, "inc");
        client.Send(child, "inc");
        client.Send(child, "get");

        Assert.Equal(2, client.ExpectMsg<int>());
        Assert.StartsWith("pre-restart:boom", events.ExpectMsg<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_after_an_await_in_an_async_handler_restarts_the_child_too()
    {
        var (_, child, events, client) = CreateFamily(null);
        client.Send(child, "inc");

        client.Send(child, "async-boom");

        Assert.Equal("pre-restart:async-boom:async-boom", events.ExpectMsg<string>());
        client.Send(child, "get");
        Assert.Equal(0, client.ExpectMsg<int>());
    }

    [Fact]
    public void A_top_level_actor_is_restarted_by_the_guardian()
    {
        var events = CreateTestProbe();
        var client = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Counter(events)));
        Assert.Equal("pre-start", events.ExpectMsg<string>());
        client.Send(actor, "inc");

        client.Send(actor, "boom");
        client.Send(actor, "get");

        Assert.Equal(0, client.ExpectMsg<int>());
        Assert.StartsWith("pre-restart:boom", events.ExpectMsg<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Under_the_StoppingStrategy_a_failing_child_is_stopped()
    {
        var (parent, child, events, client) = CreateFamily(SupervisorStrategy.StoppingStrategy);
        events.Watch(child);
        client.Send(child, "inc");

        client.Send(child, "boom");

        Assert.Equal("post-stop", events.ExpectMsg<string>()); // no pre-restart
        events.ExpectTerminated(child);
        var before = Sys.DeadLetterCount;
        client.Send(child, "get");
        Assert.Equal(before + 1, Sys.DeadLetterCount);
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        // the parent itself carries on
        client.Send(parent, "count-children");
        Assert.Equal(0, client.ExpectMsg<int>());
    }

    [Fact]
    public void Under_a_Resume_strategy_the_child_keeps_its_state()
    {
        var (_, child, events, client) = CreateFamily(new OneForOneStrategy(_ => Directive.Resume));

        client.Send(child, "inc");
        client.Send(child, "inc");
        client.Send(child, "boom");
        client.Send(child, "inc");
        client.Send(child, "get");

        Assert.Equal(3, client.ExpectMsg<int>());
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // no restart, no stop
    }

    [Fact]
    public void The_strategy_is_given_the_exception_the_child_threw()
    {
        var client = CreateTestProbe();
        var decisions = CreateTestProbe();
        var events = CreateTestProbe();
        var strategy = new OneForOneStrategy(ex =>
        {
            decisions.Tell(ex);
            return Directive.Resume;
        });
        Sys.ActorOf(Props.Create(() => new Parent(Props.Create(() => new Counter(events)), strategy, client)));
        var child = client.ExpectMsg<ChildCreated>().Child;

        client.Send(child, "boom-decide");

        var decided = decisions.ExpectMsg<InvalidOperationException>();
        Assert.Equal("boom-decide", decided.Message);
    }

    [Fact]
    public async Task A_child_whose_constructor_throws_is_stopped()
    {
        var events = CreateTestProbe();
        var client = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new Parent(Props.Create(() => new Exploding(events)), null, client)));
        var child = client.ExpectMsg<ChildCreated>().Child;
        events.Watch(child);

        events.ExpectTerminated(child); // no PreStart, no PostStop on an instance that never existed
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var before = Sys.DeadLetterCount;
        client.Send(child, "inc");
        Assert.Equal(before + 1, Sys.DeadLetterCount);
        await AwaitAssert(() =>
        {
            client.Send(parent, "count-children");
            Assert.Equal(0, client.ExpectMsg<int>());
        });
    }

    [Fact]
    public void When_the_constructor_fails_during_a_restart_the_actor_is_stopped_and_the_old_instance_gets_PostStop_only_once()
    {
        var events = CreateTestProbe();
        var instances = 0;
        var actor = Sys.ActorOf(Props.Create(() => new FragileOnRestart(Interlocked.Increment(ref instances), events)));
        events.Watch(actor);

        actor.Tell("boom");

        Assert.Equal("post-stop:1", events.ExpectMsg<string>()); // from the default PreRestart
        events.ExpectTerminated(actor); // Akka clears the failed instance, so no second PostStop
        Assert.Equal(2, Volatile.Read(ref instances));
    }

    /// <summary>Creates a child "kid" in its constructor and watches it; fails on "boom".</summary>
    private sealed class WatchingParent : ReceiveActor
    {
        public WatchingParent(IActorRef events)
        {
            var kid = Context.Watch(Context.ActorOf(Props.Create(() => new Counter(ActorRefs.Nobody)), "kid"));
            events.Tell(new ChildCreated(kid));
            Receive<string>(s => throw new InvalidOperationException(s), s => s == "boom");
            Receive<Terminated>(t => events.Tell("terminated:" + t.ActorRef.Path.Name, t.ActorRef));
        }
    }

    [Fact]
    public void A_restarting_parent_does_not_receive_Terminated_for_the_children_its_old_instance_stopped()
    {
        var events = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new WatchingParent(events)));
        var oldKid = events.ExpectMsg<ChildCreated>().Child;

        parent.Tell("boom");

        var newKid = events.ExpectMsg<ChildCreated>().Child; // the new instance took the name "kid" again
        Assert.NotSame(oldKid, newKid);
        // Akka's default PreRestart unwatches each child before stopping it: the new instance must not be told
        // that the old instance's child died (it would think its own "kid" is gone)
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }
}
