using System.Runtime.CompilerServices;
using Xunit.Abstractions;
using Zvonim.Actors.Kernel;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>
/// What a stopped actor leaves behind. Refs outlive actors (a long-lived call keeps them in messages and maps), so a
/// ref must not keep the stopped actor's state alive — for a peer that state is its socket and the whole connection.
/// </summary>
public sealed class RetentionTests(ITestOutputHelper output) : ActorTestKit(output)
{
    /// <summary>Stands for a socket: something heavy held by the actor and by its Props.</summary>
    private sealed class Payload
    {
        public readonly byte[] Bytes = new byte[64 * 1024];
    }

    private sealed class Holder : ReceiveActor
    {
        private readonly Payload _payload;

        public Holder(Payload payload)
        {
            _payload = payload;
            Receive<string>(s => Sender.Tell(s + _payload.Bytes.Length, Self));
        }
    }

    /// <summary>Answers and keeps going; it outlives everyone who talked to it.</summary>
    private sealed class LongLived : ReceiveActor
    {
        public LongLived() => Receive<string>(s => Sender.Tell("ok:" + s, Self));
    }

    [Fact]
    public async Task A_stopped_actor_releases_what_it_held_while_refs_to_it_remain()
    {
        var (holder, payload) = SpawnHolder();
        var probe = CreateTestProbe();
        probe.Watch(holder);
        Sys.Stop(holder);
        probe.ExpectTerminated(holder);

        await AwaitCollected(payload);
        GC.KeepAlive(holder); // the ref itself is still held here
    }

    [Fact]
    public async Task An_actor_does_not_keep_its_last_sender_alive()
    {
        var longLived = Sys.ActorOf(Props.Create(() => new LongLived()), "long-lived");
        var (holder, payload) = SpawnHolder();
        var probe = CreateTestProbe();
        longLived.Tell("hello", holder); // the reply goes to the holder; the long-lived actor has seen it as Sender
        probe.Watch(holder);
        Sys.Stop(holder);
        probe.ExpectTerminated(holder);

        await AwaitCollected(payload);
        probe.Send(longLived, "still here");
        probe.ExpectMsg<string>(s => s == "ok:still here");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (IActorRef, WeakReference) SpawnHolder()
    {
        var payload = new Payload();
        return (Sys.ActorOf(Props.Create(() => new Holder(payload))), new WeakReference(payload));
    }

    private static async Task AwaitCollected(WeakReference weak)
    {
        for (var i = 0; i < 50 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(20);
        }
        Assert.False(weak.IsAlive, "the stopped actor's state is still reachable");
    }
}
