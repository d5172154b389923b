using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Zvonim.Actors.Mailboxes;

/// <summary>
/// An unbounded mailbox that costs almost nothing while its actor is idle. Akka's default keeps a
/// <c>ConcurrentQueue</c> whose first segment (32 envelopes, about 0.9 KB) is allocated with the actor and kept for
/// its life; a node holds a PeerActor per socket and a CallActor per call, nearly all of them idle (media flows
/// browser to browser). This queue starts with no storage and grows only while messages wait.
/// </summary>
/// <remarks>Set as Akka's default mailbox in <c>hocon/zvonim.hocon</c>. Many senders, one reader (the actor's turn):
/// a short lock around a <see cref="Queue{T}"/> is uncontended almost always and allocates nothing per message.</remarks>
public sealed class LeanMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<LeanMessageQueue>
{
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new LeanMessageQueue();
}

public sealed class LeanMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private readonly Queue<Envelope> _queue = new();
    private int _count;

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (_queue)
        {
            _queue.Enqueue(envelope);
            Volatile.Write(ref _count, _count + 1);
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            envelope = default;
            return false;
        }
        lock (_queue)
        {
            if (!_queue.TryDequeue(out envelope)) return false;
            Volatile.Write(ref _count, _count - 1);
            // A burst grew the storage: give it back once drained, so an actor that was busy once is cheap again.
            if (_count == 0 && _queue.EnsureCapacity(0) > 256) _queue.TrimExcess();
            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }
}
