using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Xunit.Abstractions;
using Zvonim.Actors.Mailboxes;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Mailboxes;

/// <summary>The mailbox every Zvonim actor gets: nothing lost, each sender's messages in order, under many senders.</summary>
public sealed class LeanMailboxTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private sealed record Numbered(int Sender, int N);

    private sealed record Done(int Count);

    /// <summary>Checks every sender's sequence as it arrives and reports the total once all have arrived.</summary>
    private sealed class Checker : ReceiveActor
    {
        public Checker(int senders, int each, IActorRef report)
        {
            var next = new int[senders];
            var total = 0;
            Receive<Numbered>(m =>
            {
                if (m.N != next[m.Sender]) report.Tell($"sender {m.Sender}: got {m.N}, expected {next[m.Sender]}");
                next[m.Sender] = m.N + 1;
                if (++total == senders * each) report.Tell(new Done(total));
            });
        }
    }

    [Fact]
    public void Many_senders_at_once_lose_nothing_and_each_keeps_its_order()
    {
        const int senders = 8, each = 20_000;
        var checker = Sys.ActorOf(Props.Create(() => new Checker(senders, each, TestActor)));
        Parallel.For(0, senders, s =>
        {
            for (var n = 0; n < each; n++) checker.Tell(new Numbered(s, n), ActorRefs.NoSender);
        });
        Assert.Equal(senders * each, ExpectMsg<Done>(TimeSpan.FromSeconds(20)).Count);
    }

    [Fact]
    public void It_is_the_default_mailbox_of_the_server_configuration()
    {
        var mailboxes = ((ExtendedActorSystem)Sys).Mailboxes;
        Assert.IsType<LeanMailbox>(mailboxes.Lookup(Akka.Dispatch.Mailboxes.DefaultMailboxId));
    }

    [Fact]
    public void A_queue_drained_after_a_burst_gives_its_storage_back_and_still_works()
    {
        var queue = new LeanMessageQueue();
        for (var i = 0; i < 10_000; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope(i, ActorRefs.NoSender));
        Assert.Equal(10_000, queue.Count);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(queue.TryDequeue(out var envelope));
            Assert.Equal(i, envelope.Message);
        }
        Assert.False(queue.HasMessages);
        Assert.False(queue.TryDequeue(out _));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("again", ActorRefs.NoSender));
        Assert.True(queue.TryDequeue(out var last));
        Assert.Equal("again", last.Message);
    }
}
