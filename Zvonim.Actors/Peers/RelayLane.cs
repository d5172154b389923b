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
/// <param name="shortWay">False (<c>Zvonim:Signaling:RelayLane</c> off): the lane never opens, every frame goes
/// through the sender's actor (which still writes to the others' sockets on this node directly, see
/// <see cref="PeerRoutes"/>), and the lane only keeps the reader within <see cref="Backlog"/> of its actor.</param>
public sealed class RelayLane(bool shortWay = true)
{
    /// <summary>Who this socket is, and the sockets its frames go to.</summary>
    public sealed record Targets(string From, (string PeerId, IPeerConnection Sink)[] Sinks);

    /// <summary>How many of the reader's messages may wait for the actor before the reader stops reading
    /// (see <see cref="ReadAhead"/>).</summary>
    public const int Backlog = ReadAhead.Limit;

    private Targets? _targets;
    private IPeerConnection[] _watched = [];
    private readonly ReadAhead _backlog = new(); // the reader's messages the actor has not handled yet

    /// <summary>Whether frames may ever go the short way (false: always through the actors).</summary>
    public bool ShortWay { get; } = shortWay;

    /// <summary>Whether frames may go the short way now (once nothing sent earlier is with the actor).</summary>
    public bool IsOpen => Volatile.Read(ref _targets) is not null;

    /// <summary>Actor: the lane may be used with these targets (or not at all, when null).</summary>
    public void Open(Targets? targets) => Volatile.Write(ref _targets, ShortWay ? targets : null);

    /// <summary>Actor: one more of the reader's messages has been handled, and what it sent is queued.</summary>
    public void Handled() => _backlog.Handled();

    /// <summary>Actor: it stops; the reader no longer waits for it.</summary>
    public void Release() => _backlog.Release();

    /// <summary>Reader: pending while <see cref="Backlog"/> or more of its messages wait for the actor.</summary>
    public Task WhenCaughtUp() => _backlog.WhenCaughtUp();

    /// <summary>Actor: the sockets on this node that this socket's frames go to, whichever way they go. The reader
    /// watches them even while the lane is closed.</summary>
    public void Watch(IPeerConnection[] sinks) => Volatile.Write(ref _watched, sinks);

    /// <summary>Reader: pending while a socket this socket's frames go to is congested. The reader waits on it before
    /// reading on, so a fast sender is held back at once rather than when its actor hears of the congestion.</summary>
    public Task WhenWritable()
    {
        foreach (var sink in Volatile.Read(ref _watched))
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
        // Only what the actor acknowledges (Handled) is counted: anything else would hold the reader back for good.
        if (IsCounted(message)) _backlog.Told();
        peer.Tell(message, ActorRefs.NoSender);
    }

    /// <summary>The client's messages the reader counts and the actor acknowledges with <see cref="Handled"/>.</summary>
    public static bool IsCounted(object message) => message is ClientSignal or ClientHello or ClientLeave;

    /// <summary>Reader: relays <paramref name="signal"/> straight to its receivers' sockets if the lane is open and
    /// nothing sent earlier is still with the actor; false when the actor must handle it.</summary>
    public bool TryRelay(ClientSignal signal)
    {
        var targets = Volatile.Read(ref _targets);
        if (targets is null || !_backlog.IsCaughtUp) return false;
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

    /// <summary>Counts a relayed frame by the way it went: operators see how much of the traffic takes the short way.</summary>
    internal static void Count(ClientSignal signal, bool byLane = true) => Telemetry.ZvonimMetrics.Relayed(signal.Frame.Length, byLane);
}
