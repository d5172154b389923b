using Akka.Actor;

namespace Zvonim.Actors.Peers;

/// <summary>
/// The short way for a socket's frames once its call is settled: the socket's read loop hands each frame straight
/// to the receivers' sockets, on its own thread, instead of through its <see cref="PeerActor"/> and theirs (two
/// mailboxes and two thread hand-offs per frame, most of a relayed frame's cost after the kernel's).
/// <para>
/// The PeerActor keeps deciding: it opens the lane (<see cref="Open"/>) only while every other participant is
/// connected on this node, has said it may be written to directly (<see cref="OpenRoute"/>), and nothing is held
/// for anyone; any change in the call closes it first. The reader uses it only when the actor has handled every
/// message the reader gave it, so a frame never overtakes one sent before it. Whatever the lane does not take
/// (a frame for someone unknown, a hello, a leave) goes to the actor as before.
/// </para>
/// </summary>
public sealed class RelayLane
{
    /// <summary>Who this socket is, and the sockets its frames go to.</summary>
    public sealed record Targets(string From, (string PeerId, IPeerConnection Sink)[] Sinks);

    private Targets? _targets;
    private long _told;    // messages the reader gave the actor; written by the reader only
    private long _handled; // of those, how many the actor has finished; written by the actor only

    /// <summary>Whether frames may go the short way now (once nothing sent earlier is with the actor).</summary>
    public bool IsOpen => Volatile.Read(ref _targets) is not null;

    /// <summary>Actor: the lane may be used with these targets (or not at all, when null).</summary>
    public void Open(Targets? targets) => Volatile.Write(ref _targets, targets);

    /// <summary>Actor: one more of the reader's messages has been handled, and what it sent is queued.</summary>
    public void Handled() => Volatile.Write(ref _handled, _handled + 1);

    /// <summary>Reader: pending while a socket the lane writes to is congested. The reader waits on it before reading
    /// on, so a fast sender is held back at once rather than when its actor hears of the congestion.</summary>
    public Task WhenWritable()
    {
        if (Volatile.Read(ref _targets) is not { } targets) return Task.CompletedTask;
        foreach (var (_, sink) in targets.Sinks)
        {
            var writable = sink.WhenWritable;
            if (!writable.IsCompleted) return writable;
        }
        return Task.CompletedTask;
    }

    /// <summary>Reader: hands one of the client's messages on, the short way when it can, to the actor otherwise.</summary>
    public void Pass(object message, IActorRef peer)
    {
        if (message is ClientSignal signal && TryRelay(signal)) return;
        _told++;
        peer.Tell(message, ActorRefs.NoSender);
    }

    /// <summary>Reader: relays <paramref name="signal"/> straight to its receivers' sockets if the lane is open and
    /// nothing sent earlier is still with the actor; false when the actor must handle it.</summary>
    public bool TryRelay(ClientSignal signal)
    {
        var targets = Volatile.Read(ref _targets);
        if (targets is null || Volatile.Read(ref _handled) != _told) return false;
        var sinks = targets.Sinks;
        if (signal.To is { } to)
        {
            foreach (var (peerId, sink) in sinks)
            {
                if (peerId != to) continue;
                Count(signal);
                sink.Send(new SignalEvent(targets.From, signal.Kind, signal.Frame));
                return true;
            }
            return false; // unknown, or the sender itself: the actor answers with an error
        }
        Count(signal);
        var relayed = new SignalEvent(targets.From, signal.Kind, signal.Frame);
        foreach (var (_, sink) in sinks) sink.Send(relayed);
        return true;
    }

    private static readonly KeyValuePair<string, object?> ByLane = new("path", "lane");
    private static readonly KeyValuePair<string, object?> ByActors = new("path", "actors");

    /// <summary>Counts a relayed frame by the way it went: operators see how much of the traffic takes the short way.</summary>
    internal static void Count(ClientSignal signal, bool byLane = true)
    {
        Telemetry.ZvonimMetrics.RelayedFrames.Add(1, byLane ? ByLane : ByActors);
        Telemetry.ZvonimMetrics.RelayedBytes.Add(signal.Frame.Length);
    }
}
