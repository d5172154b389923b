using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Akka.Actor;
using Akka.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>A socket stand-in: what the PeerActor would write to its client arrives at a probe.</summary>
public sealed class ProbeConnection(TestProbe probe) : IPeerConnection
{
    public sealed record Closed(CloseReason Reason, string Message, Refusal? Refusal);

    public sealed record ReadingPaused(bool Paused);

    public void PauseReading(bool paused) => probe.Ref.Tell(new ReadingPaused(paused), ActorRefs.NoSender);

    public void Send(PeerEvent peerEvent) => probe.Ref.Tell(peerEvent, ActorRefs.NoSender);

    private int _closed;

    /// <summary>Like a real socket, only the first close counts.</summary>
    public void Close(CloseReason reason, string message, Refusal? refusal = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0) probe.Ref.Tell(new Closed(reason, message, refusal), ActorRefs.NoSender);
    }
}
