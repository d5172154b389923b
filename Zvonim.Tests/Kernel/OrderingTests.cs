using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>Per sender–receiver ordering: what one sender tells one actor arrives in the order it was told.</summary>
public sealed class OrderingTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private static readonly TimeSpan RealTimeout = TimeSpan.FromSeconds(10);

    private sealed record Item(int Producer, int Seq);

    private sealed record Report;

    /// <summary>Records, per producer, the sequence numbers in the order the actor received them.</summary>
    private sealed class Recorder : ReceiveActor
    {
        private readonly Dictionary<int, List<int>> _seen = [];

        public Recorder()
        {
            Receive<Item>(item =>
            {
                if (!_seen.TryGetValue(item.Producer, out var list)) _seen[item.Producer] = list = [];
                list.Add(item.Seq);
            });
            Receive<Report>(_ => Sender.Tell(_seen.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), Self));
        }
    }

    /// <summary>Forwards everything to the probe, keeping the original sender.</summary>
    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(message => target.Forward(message, Context));
    }

    [Fact]
    public async Task Messages_from_one_sender_arrive_in_the_order_they_were_sent()
    {
        var recorder = Sys.ActorOf(Props.Create(() => new Recorder()));
        const int count = 20_000;
        for (var i = 0; i < count; i++) recorder.Tell(new Item(0, i));

        var report = await recorder.Ask<Dictionary<int, int[]>>(new Report(), TimeSpan.FromMinutes(1)).WaitAsync(RealTimeout);

        Assert.Equal(Enumerable.Range(0, count), report[0]);
    }

    [Fact]
    public void Messages_relayed_through_an_actor_reach_the_probe_in_order()
    {
        var probe = CreateTestProbe();
        var forwarder = Sys.ActorOf(Props.Create(() => new Forwarder(probe)));
        for (var i = 0; i < 500; i++) forwarder.Tell(i, probe);

        for (var i = 0; i < 500; i++) Assert.Equal(i, probe.ExpectMsg<int>());
        Assert.Same(probe, probe.LastSender); // Forward keeps the original sender
    }

    [Fact]
    public async Task Each_of_several_concurrent_senders_sees_its_own_messages_arrive_in_order()
    {
        var recorder = Sys.ActorOf(Props.Create(() => new Recorder()));
        const int producers = 8;
        const int perProducer = 5_000;
        using var start = new ManualResetEventSlim(false);

        var senders = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < perProducer; i++) recorder.Tell(new Item(p, i));
        })).ToArray();
        start.Set();
        await Task.WhenAll(senders).WaitAsync(RealTimeout);

        var report = await recorder.Ask<Dictionary<int, int[]>>(new Report(), TimeSpan.FromMinutes(1)).WaitAsync(RealTimeout);

        Assert.Equal(producers, report.Count);
        for (var p = 0; p < producers; p++) Assert.Equal(Enumerable.Range(0, perProducer), report[p]);
    }
}
