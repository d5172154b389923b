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
internal sealed class LegConnection(string callId, IPeerConnection socket, IActorRef device) : IPeerConnection
{
    private CallSnapshot? _last;
    private int _closed;

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
        if (Interlocked.Exchange(ref _closed, 1) == 0) device.Tell(new LegClosed(callId, Leg, reason, message, refusal, _last), ActorRefs.NoSender);
    }

    public void PauseReading(bool paused) => socket.PauseReading(paused);

    public Task WhenWritable => socket.WhenWritable;
}
