using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Media.Sdp;
using Zvonim.Media.Sfu;

namespace Zvonim.Actors.Media;

/// <summary>
/// One browser's session with the media forwarder, a child of its room on the node that holds the room's media. It
/// negotiates (<see cref="SessionNegotiator"/>): answers the browser's offers, publishes the tracks the browser sends
/// to its room, and offers the browser the tracks of the others whenever the room says they changed. It speaks through
/// the actor of the browser's socket, which may be on another node; when that socket drops, the session and its media
/// wait <see cref="MediaRoomSettings.ReconnectGrace"/> for another socket to continue it. Packets never pass through
/// here: the engine forwards them.
/// </summary>
public sealed class MediaSessionActor : UntypedActor
{
    private readonly string _roomKey;
    private readonly string _sessionId;
    private readonly MediaRoomSettings _settings;
    private IActorRef? _socket;             // null while the socket is away (within the grace)
    private ICancelable? _graceTimer;
    private ICancelable? _noMediaTimer;
    private string? _remoteUfrag;           // the browser connection the media is for
    private string? _offerSent;             // the server's offer awaiting an answer, to send again after a reconnect
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SessionTracks _tracks;
    private MediaPeer? _peer;
    private SessionNegotiator? _negotiator;

    // From the media engine's threads; a session that stopped (or started its media afresh) may still hear of the old.
    private sealed record MediaConnected(Listener From, string CipherSuite, string Profile) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record MediaFailed(Listener From, string Reason) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record MediaInactive(Listener From) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record GraceOver : INoSerializationVerificationNeeded;

    private sealed record NoMediaYet : INoSerializationVerificationNeeded;

    private sealed class Listener(IActorRef self) : IMediaPeerListener
    {
        public void Connected(string cipherSuite, string srtpProfile) => self.Tell(new MediaConnected(this, cipherSuite, srtpProfile));

        public void Failed(string reason) => self.Tell(new MediaFailed(this, reason));

        public void Inactive() => self.Tell(new MediaInactive(this));
    }

    private Listener? _listener; // of the current media connection

    public static Props Props(string roomKey, string sessionId, string userId, IActorRef socket, MediaRoomSettings settings) =>
        ActorFactory.PropsOnce(() => new MediaSessionActor(roomKey, sessionId, userId, socket, settings));

    public MediaSessionActor(string roomKey, string sessionId, string userId, IActorRef socket, MediaRoomSettings settings)
    {
        _roomKey = roomKey;
        _sessionId = sessionId;
        _tracks = new SessionTracks(userId, sessionId);
        _settings = settings;
        _socket = socket;
        Context.Watch(socket);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ISessionMessage when !Equals(Sender, _socket):
                break; // a socket this session no longer speaks through (replaced by a reconnect)
            case SessionOffer offer:
                OnOffer(offer.Sdp);
                break;
            case SessionAnswer answer:
                OnAnswer(answer.Sdp);
                break;
            case SessionLeave:
                Tell(new CloseSocket(CloseReason.LeftCall, "You left the call."));
                Context.Stop(Self);
                break;
            case SessionJoin:
                break; // the socket joined already; a repeated join changes nothing
            case AdoptSocket adopt:
                Adopt(adopt.Socket);
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _socket):
                Detach();
                break;
            case NoMediaYet when _peer is null:
                // Joined and never offered: it holds a seat and a socket, and the engine's silence check has nothing to watch.
                _log.Info("Session {peer_id} of room {call_id} never offered media; closing it", _sessionId, _roomKey);
                Tell(new CloseSocket(CloseReason.CallEnded, "Nothing came from this connection for too long; it is closed."));
                Context.Stop(Self);
                break;
            case NoMediaYet:
                break;
            case GraceOver when _socket is null:
                _log.Info("Session {peer_id} of room {call_id} did not come back in time", _sessionId, _roomKey);
                Context.Stop(Self);
                break;
            case RoomTracks tracks:
                _tracks.Wanted = tracks.Tracks;
                OfferIfNeeded();
                break;
            case SessionEvicted evicted:
                Tell(new ErrorToSocket(ErrorCodes.Forbidden, evicted.Reason));
                Tell(new CloseSocket(CloseReason.Refused, evicted.Reason, Refusal.Forbidden));
                Context.Stop(Self);
                break;
            case MediaConnected connected when connected.From == _listener:
                _log.Info("Media of session {peer_id} in room {call_id} connected ({Cipher}, {Profile})", _sessionId, _roomKey, connected.CipherSuite, connected.Profile);
                break;
            case MediaFailed failed when failed.From == _listener:
                _log.Info("Media of session {peer_id} in room {call_id} failed: {Reason}", _sessionId, _roomKey, failed.Reason);
                Tell(new ErrorToSocket("media_failed", $"The media connection failed ({failed.Reason}); offer again to retry."));
                break;
            case MediaInactive inactive when inactive.From == _listener:
                _log.Info("Media of session {peer_id} in room {call_id} went silent; closing it", _sessionId, _roomKey);
                Tell(new CloseSocket(CloseReason.CallEnded, "Nothing came from this connection for too long; it is closed."));
                Context.Stop(Self);
                break;
            case MediaConnected or MediaFailed or MediaInactive or GraceOver or Terminated:
                break; // news of media already replaced; a timer or a socket already replaced
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PreStart()
    {
        if (_settings.InactivityTimeout is { } timeout)
            _noMediaTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(timeout, Self, new NoMediaYet(), Self);
    }

    protected override void PostStop()
    {
        _noMediaTimer?.Cancel();
        _graceTimer?.Cancel();
        _peer?.Dispose();
    }

    private void Tell(ISocketCommand command) => _socket?.Tell(command, Self);

    /// <summary>The socket is gone: the session keeps its media for the grace, for a reconnect to continue.</summary>
    private void Detach()
    {
        _socket = null;
        _graceTimer?.Cancel();
        _graceTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(_settings.ReconnectGrace, Self, new GraceOver(), Self);
    }

    private void Adopt(IActorRef socket)
    {
        _graceTimer?.Cancel();
        if (_socket is not null)
        {
            Context.Unwatch(_socket);
            Tell(new CloseSocket(CloseReason.Superseded, "Replaced by a newer connection with the same sessionId."));
        }
        _socket = socket;
        Context.Watch(_socket);
        _log.Info("Session {peer_id} of room {call_id} continues on a new socket", _sessionId, _roomKey);
        if (_offerSent is not null) Tell(new DescribeToSocket("offer", _offerSent, _sessionId));
        else OfferIfNeeded();
    }

    private void OnOffer(string sdp)
    {
        // A new browser connection (a reload continuing the session) needs media of its own: start it afresh.
        var remoteUfrag = SessionDescription.Parse(sdp)?.Media.FirstOrDefault(m => m.IceUfrag is not null)?.IceUfrag;
        if (_peer is not null && remoteUfrag is not null && _remoteUfrag is not null && remoteUfrag != _remoteUfrag) ResetMedia();
        if (_peer is null)
        {
            _listener = new Listener(Self);
            var engine = _settings.Engine();
            _peer = engine.CreatePeer($"{_roomKey}/{_sessionId}", _listener);
            _negotiator = new SessionNegotiator(new ServerIdentity(_peer.Ice.Ufrag, _peer.Ice.Pwd, engine.Certificate.Sha256Fingerprint, engine.Candidates));
        }
        var outcome = _negotiator!.OnOffer(sdp);
        if (outcome.Error is { } error)
        {
            Tell(new ErrorToSocket(ErrorCodes.BadMessage, error));
            return;
        }
        _offerSent = null; // the browser's offer won over ours
        Tell(new DescribeToSocket("answer", outcome.AnswerSdp!, _sessionId));
        if (outcome.Remote is { } remote)
        {
            _remoteUfrag = remote.IceUfrag;
            _peer.Connect(remote.Fingerprint, remote.IceUfrag);
        }
        if (_tracks.Publish(_peer, outcome.Published)) Context.Parent.Tell(new TracksPublished(_tracks.Published));
        OfferIfNeeded();
    }

    /// <summary>Forgets the media of a browser connection that is gone: its tracks leave the room, a new one starts.</summary>
    private void ResetMedia()
    {
        _tracks.Reset(_peer!);
        _peer!.Dispose();
        _peer = null;
        _negotiator = null;
        _offerSent = null;
        Context.Parent.Tell(new TracksPublished([]));
    }

    private void OfferIfNeeded()
    {
        if (_negotiator is null || _socket is null) return; // offers wait for a socket to hear them
        if (_negotiator.OfferFor(_tracks.ToReceive(_peer!, _negotiator.Sending)) is not { } offer) return;
        _offerSent = offer;
        Tell(new DescribeToSocket("offer", offer, _sessionId));
    }

    private void OnAnswer(string sdp)
    {
        if (_negotiator is null)
        {
            Tell(new ErrorToSocket(ErrorCodes.BadMessage, "There is no offer of the server's to answer: send your offer first."));
            return;
        }
        var outcome = _negotiator.OnAnswer(sdp);
        _offerSent = null;
        if (outcome.Error is { } error) Tell(new ErrorToSocket(ErrorCodes.BadMessage, error));
        foreach (var removed in outcome.Removed)
        {
            if (_tracks.Source(removed) is { } track) _peer!.StopReceiving(track);
        }
        foreach (var added in outcome.Added)
        {
            if (_tracks.Source(added) is { } track) _peer!.Receive(track, added.Track.Ssrc, (byte)added.Codec.PayloadType);
        }
        OfferIfNeeded();
    }
}
