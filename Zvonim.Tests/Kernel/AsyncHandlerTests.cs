using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>One message at a time: an async handler owns the actor until its task completes.</summary>
public sealed class AsyncHandlerTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private sealed record Work(int Id, Task Gate);

    private sealed class Gated : ReceiveActor
    {
        private int _active;

        public Gated(IActorRef events)
        {
            ReceiveAsync<Work>(async work =>
            {
                var active = Interlocked.Increment(ref _active);
                events.Tell($"start {work.Id} active={active}");
                await work.Gate;
                await Task.Yield();
                Sender.Tell($"done {work.Id}", Self);
                Interlocked.Decrement(ref _active);
                events.Tell($"end {work.Id}");
            });
        }
    }

    private sealed record Step(int Id);

    private sealed record Report;

    /// <summary>Every handler yields several times; records the highest number of handlers in flight at once.</summary>
    private sealed class Yielding : ReceiveActor
    {
        private int _active;
        private int _maxActive;
        private readonly List<int> _order = [];

        public Yielding()
        {
            ReceiveAsync<Step>(async step =>
            {
                var active = Interlocked.Increment(ref _active);
                _maxActive = Math.Max(_maxActive, active);
                var sender = Sender;
                for (var i = 0; i < 3; i++)
                {
                    await Task.Yield();
                    if (!ReferenceEquals(sender, Sender)) throw new InvalidOperationException("Sender changed across an await");
                }
                _order.Add(step.Id);
                Interlocked.Decrement(ref _active);
                Sender.Tell(step.Id, Self);
            });
            Receive<Report>(_ => Sender.Tell((_maxActive, _order.ToArray()), Self));
        }
    }

    [Fact]
    public void An_async_handler_is_not_interleaved_with_the_next_message_and_keeps_its_sender_across_awaits()
    {
        var events = CreateTestProbe();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Gated(events)));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        first.Send(actor, new Work(1, gate.Task));
        second.Send(actor, new Work(2, Task.CompletedTask));

        Assert.Equal("start 1 active=1", events.ExpectMsg<string>());
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // work 2 waits while work 1 is suspended
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        gate.SetResult();

        Assert.Equal("done 1", first.ExpectMsg<string>()); // replied to the first message's sender, not the queued one's
        Assert.Equal("end 1", events.ExpectMsg<string>());
        Assert.Equal("start 2 active=1", events.ExpectMsg<string>());
        Assert.Equal("end 2", events.ExpectMsg<string>());
        Assert.Equal("done 2", second.ExpectMsg<string>());
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Many_yielding_async_handlers_run_strictly_one_after_another_in_arrival_order()
    {
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Yielding()));
        const int count = 200;

        for (var i = 0; i < count; i++) (i % 2 == 0 ? a : b).Send(actor, new Step(i));

        for (var i = 0; i < count; i += 2) Assert.Equal(i, a.ExpectMsg<int>());
        for (var i = 1; i < count; i += 2) Assert.Equal(i, b.ExpectMsg<int>());
        var (maxActive, order) = await actor.Ask<(int, int[])>(new Report(), TimeSpan.FromMinutes(1)).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, maxActive);
        Assert.Equal(Enumerable.Range(0, count), order);
    }
}
