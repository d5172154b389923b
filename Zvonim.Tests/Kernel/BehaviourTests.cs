using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>ReceiveActor dispatch: registration order, predicates, ReceiveAny, Become, unhandled messages.</summary>
public sealed class BehaviourTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private sealed class Matcher : ReceiveActor
    {
        public Matcher()
        {
            Receive<string>(s => Sender.Tell("a-handler:" + s, Self), s => s.StartsWith('a'));
            Receive<string>(s => Sender.Tell("string-handler:" + s, Self));
            Receive<string>(s => Sender.Tell("never:" + s, Self));
            Receive<int>(i => Sender.Tell("even:" + i, Self), i => i % 2 == 0);
            Receive<Exception>(e => Sender.Tell("exception:" + e.GetType().Name, Self));
            ReceiveAny(o => Sender.Tell("any:" + o.GetType().Name, Self));
            Receive<long>(l => Sender.Tell("after-any:" + l, Self));
        }
    }

    private sealed class Switcher : ReceiveActor
    {
        public Switcher() => Calm();

        private void Calm()
        {
            Receive<string>(_ =>
            {
                Become(Angry);
                Sender.Tell("calm->angry", Self);
            }, s => s == "switch");
            Receive<string>(s => Sender.Tell("calm:" + s, Self));
            Receive<int>(i => Sender.Tell("calm-int:" + i, Self));
        }

        private void Angry()
        {
            Receive<string>(_ =>
            {
                Become(Calm);
                Sender.Tell("angry->calm", Self);
            }, s => s == "switch");
            Receive<string>(s => Sender.Tell("ANGRY:" + s.ToUpperInvariant(), Self));
        }
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
        }

        protected override void PreStart() => _events.Tell("pre-start");

        protected override void PostStop() => _events.Tell("post-stop");
    }

    [Theory]
    [InlineData("apple", "a-handler:apple")]
    [InlineData("banana", "string-handler:banana")]
    public void The_first_handler_whose_type_and_predicate_match_wins(string message, string expected)
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Matcher()));

        probe.Send(actor, message);

        Assert.Equal(expected, probe.ExpectMsg<string>());
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // exactly one handler ran
    }

    [Fact]
    public void A_failing_predicate_falls_through_to_later_handlers_and_ReceiveAny_catches_the_rest()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Matcher()));

        probe.Send(actor, 4);
        probe.Send(actor, 3);
        probe.Send(actor, 2.5);
        probe.Send(actor, new InvalidOperationException("x")); // a handler for a base type matches subtypes
        probe.Send(actor, 7L); // ReceiveAny was registered before the long handler, so it wins

        Assert.Equal("even:4", probe.ExpectMsg<string>());
        Assert.Equal("any:Int32", probe.ExpectMsg<string>());
        Assert.Equal("any:Double", probe.ExpectMsg<string>());
        Assert.Equal("exception:InvalidOperationException", probe.ExpectMsg<string>());
        Assert.Equal("any:Int64", probe.ExpectMsg<string>());
    }

    [Fact]
    public void Become_replaces_the_whole_behaviour()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Switcher()));

        probe.Send(actor, "hi");
        Assert.Equal("calm:hi", probe.ExpectMsg<string>());
        probe.Send(actor, 1);
        Assert.Equal("calm-int:1", probe.ExpectMsg<string>());

        probe.Send(actor, "switch");
        Assert.Equal("calm->angry", probe.ExpectMsg<string>());
        probe.Send(actor, "hi");
        Assert.Equal("ANGRY:HI", probe.ExpectMsg<string>());
        probe.Send(actor, 1); // the calm int handler is gone
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        probe.Send(actor, "switch");
        Assert.Equal("angry->calm", probe.ExpectMsg<string>());
        probe.Send(actor, "hi");
        Assert.Equal("calm:hi", probe.ExpectMsg<string>());
        probe.Send(actor, 2);
        Assert.Equal("calm-int:2", probe.ExpectMsg<string>());
    }

    [Fact]
    public void Unhandled_messages_neither_kill_nor_restart_the_actor()
    {
        var events = CreateTestProbe();
        var client = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Counter(events)));
        Assert.Equal("pre-start", events.ExpectMsg<string>());
        events.Watch(actor);

        client.Send(actor, "inc");
        client.Send(actor, 42);
        client.Send(actor, "not a command");
        client.Send(actor, DateTime.UnixEpoch);
        client.Send(actor, "inc");
        client.Send(actor, "get");

        Assert.Equal(2, client.ExpectMsg<int>()); // state survived: no restart
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // no PreStart again, no PostStop, no Terminated
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }
}
