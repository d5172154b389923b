using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>ActorSystem.Terminate stops every actor, children before parents, and completes.</summary>
public sealed class ActorSystemTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private static readonly TimeSpan RealTimeout = TimeSpan.FromSeconds(5);

    private sealed class Node : ReceiveActor
    {
        private readonly IActorRef _events;
        private readonly string _label;

        public Node(IActorRef events, string label, int children)
        {
            _events = events;
            _label = label;
            for (var i = 0; i < children; i++)
            {
                var childLabel = $"{label}.{i}";
                Context.ActorOf(Props.Create(() => new Node(events, childLabel, 0)), $"c{i}");
            }
            Receive<string>(s => Sender.Tell(_label + ":" + s, Self));
        }

        protected override void PostStop() => _events.Tell("stopped:" + _label);
    }

    /// <summary>Collects synchronously, so it keeps working after the system (and the probes' relays) stopped.</summary>
    private sealed class Recorder : IActorRef
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

        public ActorPath Path { get; } = new(null, "recorder");

        public string[] Messages => [.. _messages];

        public void Tell(object message, IActorRef? sender) => _messages.Enqueue((string)message);
    }

    [Fact]
    public async Task Terminate_stops_every_actor_children_before_parents_and_completes()
    {
        var events = new Recorder();
        var a = Sys.ActorOf(Props.Create(() => new Node(events, "a", 2)), "a");
        var b = Sys.ActorOf(Props.Create(() => new Node(events, "b", 1)), "b");
        var c = Sys.ActorOf(Props.Create(() => new Node(events, "c", 0)), "c");

        await Sys.Terminate().WaitAsync(RealTimeout);

        Assert.True(Sys.WhenTerminated.IsCompletedSuccessfully);
        var stopped = events.Messages;
        Assert.Equal(
            new[] { "stopped:a", "stopped:a.0", "stopped:a.1", "stopped:b", "stopped:b.0", "stopped:c" },
            stopped.Order());
        Assert.True(Array.IndexOf(stopped, "stopped:a.0") < Array.IndexOf(stopped, "stopped:a"));
        Assert.True(Array.IndexOf(stopped, "stopped:a.1") < Array.IndexOf(stopped, "stopped:a"));
        Assert.True(Array.IndexOf(stopped, "stopped:b.0") < Array.IndexOf(stopped, "stopped:b"));

        var before = Sys.DeadLetterCount;
        a.Tell("hello");
        b.Tell("hello");
        c.Tell("hello");
        Assert.Equal(before + 3, Sys.DeadLetterCount);
    }

    [Fact]
    public async Task Terminate_can_be_called_again_and_completes_at_once()
    {
        Sys.ActorOf(Props.Create(() => new Node(ActorRefs.Nobody, "a", 1)));
        await Sys.Terminate().WaitAsync(RealTimeout);

        var again = Sys.Terminate();

        Assert.True(again.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Terminate_waits_for_a_message_in_progress()
    {
        var probe = CreateTestProbe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = Sys.ActorOf(Props.Create(() => new Slow(probe)));
        actor.Tell(gate.Task);
        Assert.Equal("working", probe.ExpectMsg<string>());

        var terminated = Sys.Terminate();
        Assert.False(terminated.IsCompleted);
        gate.SetResult();

        await terminated.WaitAsync(RealTimeout);
        Assert.Equal("finished", probe.ExpectMsg<string>());
    }

    private sealed class Slow : ReceiveActor
    {
        public Slow(IActorRef probe)
        {
            ReceiveAsync<Task>(async gate =>
            {
                probe.Tell("working");
                await gate;
                probe.Tell("finished");
            });
        }
    }
}
