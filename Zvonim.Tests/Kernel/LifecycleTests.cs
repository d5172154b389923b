using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>PreStart/PostStop, children stopping before their parent, child names.</summary>
public sealed class LifecycleTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private sealed record Create(string? Name);

    private sealed record Created(IActorRef Child);

    private sealed record CreateFailed(string ExceptionType);

    private sealed record Lookup(string Name);

    private sealed record Found(IActorRef Child);

    private sealed record Spawn(string Name, int Depth);

    /// <summary>Reports its own lifecycle; creates children on request; answers Context.Child lookups.</summary>
    private sealed class Node : ReceiveActor
    {
        private readonly IActorRef _events;
        private readonly string _label;

        public Node(IActorRef events, string label, int depth)
        {
            _events = events;
            _label = label;
            if (depth > 0) Context.ActorOf(Props.Create(() => new Node(events, label + "/child", depth - 1)), "child");
            Receive<Create>(c =>
            {
                try
                {
                    var child = Context.ActorOf(Props.Create(() => new Node(events, label + "/" + c.Name, 0)), c.Name);
                    Sender.Tell(new Created(child), Self);
                }
                catch (Exception ex)
                {
                    Sender.Tell(new CreateFailed(ex.GetType().Name), Self);
                }
            });
            Receive<Lookup>(l => Sender.Tell(new Found(Context.Child(l.Name)), Self));
            Receive<string>(s => Sender.Tell(_label + ":" + s, Self));
        }

        protected override void PreStart() => _events.Tell("pre-start:" + _label);

        protected override void PostStop() => _events.Tell("post-stop:" + _label);
    }

    /// <summary>Watches its child "kid"; when it dies, checks the name is free and takes it again.</summary>
    private sealed class Recreator : ReceiveActor
    {
        public Recreator(IActorRef probe)
        {
            Context.Watch(Context.ActorOf(Props.Create(() => new Node(ActorRefs.Nobody, "kid", 0)), "kid"));
            Receive<string>(_ => Context.Stop(Context.Child("kid")), s => s == "stop-kid");
            Receive<Terminated>(t =>
            {
                probe.Tell(Context.Child("kid").IsNobody() ? "name free" : "name still taken");
                try
                {
                    var again = Context.ActorOf(Props.Create(() => new Node(ActorRefs.Nobody, "kid", 0)), "kid");
                    probe.Tell(new Created(again));
                }
                catch (Exception ex)
                {
                    probe.Tell(new CreateFailed(ex.GetType().Name));
                }
            });
        }
    }

    private IActorRef NewNode(TestProbe events, string label, int depth = 0, string? name = null)
    {
        var node = Sys.ActorOf(Props.Create(() => new Node(events, label, depth)), name);
        return node;
    }

    [Fact]
    public void PreStart_runs_before_the_first_message_and_PostStop_after_the_last()
    {
        var events = CreateTestProbe();
        var node = NewNode(events, "a");

        node.Tell("hello", events);
        node.Tell(PoisonPill.Instance);

        Assert.Equal("pre-start:a", events.ExpectMsg<string>());
        Assert.Equal("a:hello", events.ExpectMsg<string>());
        Assert.Equal("post-stop:a", events.ExpectMsg<string>());
    }

    [Fact]
    public void An_actor_has_started_when_ActorOf_returns()
    {
        var recorder = new Recorder();

        Sys.ActorOf(Props.Create(() => new Node(recorder, "a", 0)));

        // PreStart ran on the caller's thread: no waiting needed
        Assert.Equal(["pre-start:a"], recorder.Messages);
    }

    /// <summary>A synchronous stand-in for a probe, to check what happened before a call returned.</summary>
    private sealed class Recorder : IActorRef
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<object> _messages = new();

        public ActorPath Path { get; } = new(null, "recorder");

        public object[] Messages => _messages.ToArray();

        public void Tell(object message, IActorRef? sender) => _messages.Enqueue(message);
    }

    [Fact]
    public void Children_and_grandchildren_stop_before_their_parent_runs_PostStop()
    {
        var events = CreateTestProbe();
        var root = NewNode(events, "p", depth: 2);
        var started = Enumerable.Range(0, 3).Select(_ => events.ExpectMsg<string>()).ToHashSet();
        Assert.Equal(new[] { "pre-start:p", "pre-start:p/child", "pre-start:p/child/child" }, started.Order());
        events.Watch(root);

        Sys.Stop(root);

        Assert.Equal("post-stop:p/child/child", events.ExpectMsg<string>());
        Assert.Equal("post-stop:p/child", events.ExpectMsg<string>());
        Assert.Equal("post-stop:p", events.ExpectMsg<string>());
        events.ExpectTerminated(root);
    }

    [Fact]
    public void All_children_stop_before_the_parent_PostStop()
    {
        var events = CreateTestProbe();
        var parent = NewNode(events, "p");
        Assert.Equal("pre-start:p", events.ExpectMsg<string>());
        for (var i = 0; i < 5; i++)
        {
            parent.Tell(new Create("c" + i), events);
            Assert.Equal("pre-start:p/c" + i, events.ExpectMsg<string>());
            events.ExpectMsg<Created>();
        }

        parent.Tell(PoisonPill.Instance);

        var stops = Enumerable.Range(0, 6).Select(_ => events.ExpectMsg<string>()).ToArray();
        Assert.Equal("post-stop:p", stops[^1]);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "post-stop:p/c" + i).Order(), stops[..^1].Order());
    }

    [Fact]
    public void Context_Child_returns_the_child_or_Nobody_when_there_is_none()
    {
        var events = CreateTestProbe();
        var parent = NewNode(events, "p", depth: 1, name: "p");

        parent.Tell(new Lookup("child"), events);
        var child = events.FishForMessage<Found>().Child;
        parent.Tell(new Lookup("missing"), events);
        var missing = events.ExpectMsg<Found>().Child;

        Assert.False(child.IsNobody());
        Assert.Equal("zvonim://test/user/p/child", child.Path.ToString());
        Assert.Same(ActorRefs.Nobody, missing);
        Assert.True(missing.IsNobody());
    }

    [Fact]
    public void Inside_the_Terminated_handler_the_child_name_is_free_again()
    {
        var probe = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new Recreator(probe)));

        parent.Tell("stop-kid");

        Assert.Equal("name free", probe.ExpectMsg<string>());
        var again = probe.ExpectMsg<Created>().Child;
        Assert.Equal("kid", again.Path.Name);
    }

    [Fact]
    public async Task A_stopped_child_name_can_be_used_again_after_Terminated()
    {
        var events = CreateTestProbe();
        var parent = NewNode(events, "p");
        parent.Tell(new Create("kid"), events);
        var kid = events.FishForMessage<Created>().Child;
        events.Watch(kid);

        kid.Tell(PoisonPill.Instance);
        events.FishForMessage<Terminated>(t => Equals(t.ActorRef, kid));

        await AwaitAssert(() =>
        {
            parent.Tell(new Lookup("kid"), events);
            Assert.True(events.FishForMessage<Found>().Child.IsNobody());
        });
        parent.Tell(new Create("kid"), events);
        var again = events.FishForMessage<Created>().Child;
        Assert.NotSame(kid, again);
    }

    [Fact]
    public void A_duplicate_child_name_throws_InvalidActorNameException()
    {
        var events = CreateTestProbe();
        var parent = NewNode(events, "p");
        parent.Tell(new Create("twin"), events);
        events.FishForMessage<Created>();

        parent.Tell(new Create("twin"), events);

        Assert.Equal(nameof(InvalidActorNameException), events.FishForMessage<CreateFailed>().ExceptionType);
    }

    [Fact]
    public void A_duplicate_top_level_name_throws_InvalidActorNameException()
    {
        var events = CreateTestProbe();
        NewNode(events, "a", name: "same");

        Assert.Throws<InvalidActorNameException>(() => NewNode(events, "b", name: "same"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    public void An_invalid_name_throws_InvalidActorNameException(string name)
    {
        var events = CreateTestProbe();

        Assert.Throws<InvalidActorNameException>(() => NewNode(events, "x", name: name));
    }

    [Fact]
    public void Anonymous_children_get_distinct_names()
    {
        var events = CreateTestProbe();
        var parent = NewNode(events, "p");

        parent.Tell(new Create(null), events);
        var first = events.FishForMessage<Created>().Child;
        parent.Tell(new Create(null), events);
        var second = events.FishForMessage<Created>().Child;

        Assert.NotEqual(first.Path, second.Path);
        Assert.Equal(parent.Path, first.Path.Parent);
    }
}
