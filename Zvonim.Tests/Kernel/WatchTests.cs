using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>Death watch: Terminated on stop, on PoisonPill, for an already-dead actor; unwatch; death pacts.</summary>
public sealed class WatchTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private sealed record ChildCreated(IActorRef Child);

    private sealed class Target : ReceiveActor
    {
        public Target()
        {
            Receive<string>(_ => Context.Stop(Self), s => s == "stop-self");
            Receive<string>(s => Sender.Tell(s, Self));
        }
    }

    /// <summary>Watches <c>target</c> and reports Terminated to the probe.</summary>
    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef target, IActorRef probe)
        {
            Context.Watch(target);
            Receive<Terminated>(t => probe.Tell("terminated:" + t.ActorRef.Path.Name, t.ActorRef));
            Receive<string>(_ =>
            {
                Context.Unwatch(target);
                Sender.Tell("unwatched", Self);
            }, s => s == "unwatch");
        }
    }

    /// <summary>Owns a child named "kid", which it watches, and stops it on request.</summary>
    private sealed class Parent : ReceiveActor
    {
        public Parent(IActorRef probe)
        {
            var kid = Context.Watch(Context.ActorOf(Props.Create(() => new Target()), "kid"));
            probe.Tell(new ChildCreated(kid));
            Receive<string>(_ => Context.Stop(Context.Child("kid")), s => s == "stop-child");
            Receive<Terminated>(t => probe.Tell("terminated:" + t.ActorRef.Path.Name, t.ActorRef));
        }
    }

    /// <summary>Watches <c>target</c> when told "watch", but has no handler for Terminated.</summary>
    private sealed class PactBreaker : ReceiveActor
    {
        private readonly IActorRef _events;

        public PactBreaker(IActorRef target, IActorRef events)
        {
            _events = events;
            Receive<string>(_ =>
            {
                Context.Watch(target);
                Sender.Tell("watching", Self);
            }, s => s == "watch");
            Receive<string>(s => Sender.Tell(s, Self));
        }

        protected override void PreStart() => _events.Tell("pact-pre-start");
    }

    private sealed class Supervisor : ReceiveActor
    {
        private readonly SupervisorStrategy? _strategy;

        public Supervisor(Props child, SupervisorStrategy? strategy, IActorRef probe)
        {
            _strategy = strategy;
            probe.Tell(new ChildCreated(Context.ActorOf(child, "child")));
        }

        public override SupervisorStrategy SupervisorStrategy => _strategy ?? base.SupervisorStrategy;
    }

    private IActorRef NewTarget(string? name = null) => Sys.ActorOf(Props.Create(() => new Target()), name);

    [Fact]
    public void A_watcher_gets_Terminated_when_the_actor_stops_itself_with_Context_Stop()
    {
        var probe = CreateTestProbe();
        var target = NewTarget("target");
        Sys.ActorOf(Props.Create(() => new Watcher(target, probe)));
        probe.Watch(target);

        target.Tell("stop-self");

        var messages = new[] { probe.ExpectMsg<object>(), probe.ExpectMsg<object>() };
        Assert.Contains(messages, m => m is Terminated t && Equals(t.ActorRef, target));
        Assert.Contains(messages, m => m is "terminated:target");
    }

    [Fact]
    public void A_parent_stopping_its_child_with_Context_Stop_gets_Terminated()
    {
        var probe = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new Parent(probe)));
        var kid = probe.ExpectMsg<ChildCreated>().Child;

        parent.Tell("stop-child");

        Assert.Equal("terminated:kid", probe.ExpectMsg<string>());
        Assert.Same(kid, probe.LastSender);
    }

    [Fact]
    public void A_PoisonPill_stops_the_actor_and_watchers_get_Terminated()
    {
        var probe = CreateTestProbe();
        var target = NewTarget();
        probe.Watch(target);
        target.Tell("ping", probe);
        Assert.Equal("ping", probe.ExpectMsg<string>()); // the watch is in place

        target.Tell(PoisonPill.Instance);

        probe.ExpectTerminated(target);
    }

    [Fact]
    public void Every_watcher_is_told()
    {
        var probes = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToArray();
        var target = NewTarget();
        foreach (var probe in probes) probe.Watch(target);

        Sys.Stop(target);

        foreach (var probe in probes) probe.ExpectTerminated(target);
    }

    [Fact]
    public void Watching_an_actor_that_is_already_dead_still_yields_Terminated()
    {
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var target = NewTarget("gone");
        first.Watch(target);
        target.Tell(PoisonPill.Instance);
        first.ExpectTerminated(target);

        Sys.ActorOf(Props.Create(() => new Watcher(target, second)));

        Assert.Equal("terminated:gone", second.ExpectMsg<string>());
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // exactly once
    }

    [Fact]
    public void After_Unwatch_no_Terminated_arrives()
    {
        var probe = CreateTestProbe();
        var observer = CreateTestProbe();
        var target = NewTarget();
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(target, probe)));
        observer.Watch(target);

        watcher.Tell("unwatch", probe);
        Assert.Equal("unwatched", probe.ExpectMsg<string>());
        Sys.Stop(target);
        observer.ExpectTerminated(target);

        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_watcher_without_a_Terminated_handler_fails_with_DeathPactException_and_its_supervisor_decides()
    {
        var probe = CreateTestProbe();
        var decisions = CreateTestProbe();
        var events = CreateTestProbe();
        var target = NewTarget();
        var strategy = new OneForOneStrategy(ex =>
        {
            decisions.Tell(ex);
            return Directive.Stop;
        });
        Sys.ActorOf(Props.Create(() => new Supervisor(Props.Create(() => new PactBreaker(target, events)), strategy, probe)));
        var breaker = probe.ExpectMsg<ChildCreated>().Child;
        Assert.Equal("pact-pre-start", events.ExpectMsg<string>());
        probe.Watch(breaker);
        breaker.Tell("watch", probe);
        Assert.Equal("watching", probe.ExpectMsg<string>());

        Sys.Stop(target);

        var pact = decisions.ExpectMsg<DeathPactException>();
        Assert.Same(target, pact.DeadActor);
        probe.ExpectTerminated(breaker);
    }

    [Fact]
    public void Under_the_default_strategy_a_death_pact_restarts_the_watcher()
    {
        var probe = CreateTestProbe();
        var events = CreateTestProbe();
        var target = NewTarget();
        Sys.ActorOf(Props.Create(() => new Supervisor(Props.Create(() => new PactBreaker(target, events)), null, probe)));
        var breaker = probe.ExpectMsg<ChildCreated>().Child;
        Assert.Equal("pact-pre-start", events.ExpectMsg<string>());
        breaker.Tell("watch", probe);
        Assert.Equal("watching", probe.ExpectMsg<string>());

        Sys.Stop(target);

        Assert.Equal("pact-pre-start", events.ExpectMsg<string>()); // restarted: a new instance
        breaker.Tell("still alive", probe);
        Assert.Equal("still alive", probe.ExpectMsg<string>());
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // one restart only
    }
}
