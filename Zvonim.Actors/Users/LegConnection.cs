using Akka.Actor;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Users;

/// <summary>
/// What a call's <see cref="PeerActor"/> sees as its socket when it runs under a <see cref="DeviceActor"/>: the
/// device's one socket, shared by the calls it is in. Relayed frames go out as they are; errors say which call they
/// are about; the room news of the other dialects has no word here and is dropped. Closing the leg does not close
/// the socket: the device is told, and goes on.
/// </summary>
/// <param name="readAhead">The device socket's reader's count, given back as the leg handles the frames it was given.</param>
internal sealed class LegConnection(string callId, IPeerConnection socket, IActorRef device, ReadAhead? readAhead) : IPeerConnection
{
    private const int Retired = int.MinValue / 2;

    private CallSnapshot? _last;
    private int _closed;
    private int _unhandled; // frames the device gave the leg that it has not handled yet; Retired once the device let go

    /// <summary>The leg's actor, set once it is made (a close can only come after).</summary>
    public IActorRef Leg { get; set; } = ActorRefs.Nobody;

    public void Send(PeerEvent peerEvent)
    {
        switch (peerEvent)
        {
            case SignalEvent:
                socket.Send(peerEvent);
                break;
            case ErrorEvent error:
                socket.Send(new CallErrorEvent(callId, error.Code, error.Message));
                break;
            case StateEvent state:
                _last = state.Snapshot;
                break;
            case WelcomeEvent welcome:
                _last = welcome.Snapshot;
                break;
        }
    }

    public void Close(CloseReason reason, string message, Refusal? refusal = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0) device.Tell(new LegClosed(callId, this, reason, message, refusal, _last), ActorRefs.NoSender);
    }

    public void PauseReading(bool paused) => socket.PauseReading(paused);

    /// <summary>Device: one more of the reader's frames is given to the leg.</summary>
    public void Told() => Interlocked.Increment(ref _unhandled);

    /// <summary>Leg: it handled one of them.</summary>
    public void ClientMessageHandled()
    {
        if (Interlocked.Decrement(ref _unhandled) >= 0) readAhead?.Handled();
    }

    /// <summary>Device: the leg is let go, and what is still in its mailbox will never be handled; counted as handled
    /// now, so that the reader does not wait for it. Whatever the leg still handles after this is not counted twice.</summary>
    public void Retire()
    {
        var left = Interlocked.Exchange(ref _unhandled, Retired);
        if (left > 0) readAhead?.Handled(left);
    }

    public Task WhenWritable => socket.WhenWritable;
}
