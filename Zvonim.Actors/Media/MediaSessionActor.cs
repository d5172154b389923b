using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Media.Sdp;
using Zvonim.Media.Sfu;

namespace Zvonim.Actors.Media;

/// <summary>
/// One seed-001 call socket: the browser's session with the media forwarder. It negotiates (<see cref="SessionNegotiator"/>):
/// answers the browser's offers, publishes the tracks the browser sends to its room, and offers the browser the
/// tracks of the others whenever the room says they changed. Packets never pass through here: the engine forwards them.
/// </summary>
public sealed class MediaSessionActor : UntypedActor, IWithUnboundedStash
{
    private readonly string _roomKey;
    private readonly string _userId;
    private readonly IActorRef _rooms;
    private readonly MediaEngine _engine;
    private readonly TimeSpan _grace;
    private IPeerConnection? _connection;   // null while the socket is away (within the grace)
    private IActorRef? _socket;             // the actor of an adopted socket (a reconnect's)
    private IActorRef? _owner;              // set when this socket only continues another actor's session
    private ICancelable? _graceTimer;
    private string? _remoteUfrag;           // the browser connection the media is for
    private string? _offerSent;             // the server's offer awaiting an answer, to send again after a reconnect
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<uint, PublishedTrack> _published = [];           // what this browser sends, by SSRC
    private readonly Dictionary<PublishedTrack, LocalTrack> _forwarded = [];     // the others' tracks, as this browser gets them
    private IReadOnlyList<PublishedTrack> _wanted = [];
    private string? _sessionId;
    private IActorRef? _room;
    private MediaPeer? _peer;
    private SessionNegotiator? _negotiator;

    // From the media engine's threads; a session that stopped (or started its media afresh) may still hear of the old.
    private sealed record MediaConnected(Listener From, string CipherSuite, string Profile) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record MediaFailed(Listener From, string Reason) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record MediaInactive(Listener From) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record GraceOver : INoSerializationVerificationNeeded;

    private sealed class Listener(IActorRef self) : IMediaPeerListener
    {
        public void Connected(string cipherSuite, string srtpProfile) => self.Tell(new MediaConnected(this, cipherSuite, srtpProfile));

        public void Failed(string reason) => self.Tell(new MediaFailed(this, reason));

        public void Inactive() => self.Tell(new MediaInactive(this));
    }

    private Listener? _listener; // of the current media connection

    /// <param name="grace">How long the session (and its media) waits for a socket that dropped to come back.</param>
    public static Props Props(string roomKey, string userId, IActorRef rooms, MediaEngine engine, IPeerConnection connection, TimeSpan grace) =>
        ActorFactory.PropsOnce(() => new MediaSessionActor(roomKey, userId, rooms, engine, connection, grace));

    public MediaSessionActor(string roomKey, string userId, IActorRef rooms, MediaEngine engine, IPeerConnection connection, TimeSpan grace)
    {
        _grace = grace;
        _roomKey = roomKey;
        _userId = userId;
        _rooms = rooms;
        _engine = engine;
        _connection = connection;
    }


    private string SessionId => _sessionId ?? "";

    public IStash Stash { get; set; } = null!;

    /// <summary>The room has answered this socket's join: it owns its session (joined) or continues another's.</summary>
    private bool _placed;

    protected override void OnReceive(object message)
    {
        if (_owner is not null)
        {
            Relay(message);
            return;
        }
        // Until the room says whose session this is, what the client says waits: an offer from a reloaded page must go to
        // the session it continues, not start media of its own here.
        if (!_placed && message is SessionOffer or SessionAnswer or SessionLeave)
        {
            Join(null);
            Stash.Stash();
            return;
        }
        switch (message)
        {
            case ResumeWith resume:
                // This socket continues a session another actor holds: it only passes the client's frames on.
                _placed = true;
                _owner = resume.Owner;
                Context.Watch(_owner);
                _owner.Tell(new AdoptSocket(_connection!));
                Stash.UnstashAll();
                break;
            case AdoptSocket adopt:
                Adopt(adopt.Connection);
                break;
            case GraceOver when _connection is null:
                _log.Info("Session {peer_id} of room {call_id} did not come back in time", SessionId, _roomKey);
                Context.Stop(Self);
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _socket):
                Detach();
                break;
            case SessionJoin join:
                Join(join.SessionId);
                break;
            case SessionOffer offer:
                OnOffer(offer.Sdp);
                break;
            case SessionAnswer answer:
                OnAnswer(answer.Sdp);
                break;
            case RoomTracks tracks:
                _wanted = tracks.Tracks;
                OfferIfNeeded();
                break;
            case MediaRoomJoined:
                _placed = true;
                Stash.UnstashAll();
                if (_room is not null) Context.Unwatch(_room);
                _room = Sender;
                Context.Watch(_room);
                if (_published.Count > 0) _room.Tell(new TracksPublished([.. _published.Values]));
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _room):
                _room = null; // it stopped as this session joined: join its successor
                _rooms.Tell(new JoinMediaRoom(_roomKey, SessionId, _userId, Self));
                break;
            case MediaRoomFull full:
                Refuse(Refusal.Full, $"This call has its limit of {full.Capacity} participants.");
                break;
            case SessionEvicted evicted:
                _connection?.Send(new ErrorEvent(ErrorCodes.Forbidden, evicted.Reason));
                _connection?.Close(CloseReason.Refused, evicted.Reason, Refusal.Forbidden);
                Context.Stop(Self);
                break;
            case MediaConnected connected when connected.From == _listener:
                _log.Info("Media of session {peer_id} in room {call_id} connected ({Cipher}, {Profile})", SessionId, _roomKey, connected.CipherSuite, connected.Profile);
                break;
            case MediaFailed failed when failed.From == _listener:
                _log.Info("Media of session {peer_id} in room {call_id} failed: {Reason}", SessionId, _roomKey, failed.Reason);
                _connection?.Send(new ErrorEvent("media_failed", $"The media connection failed ({failed.Reason}); offer again to retry."));
                break;
            case MediaInactive inactive when inactive.From == _listener:
                _log.Info("Media of session {peer_id} in room {call_id} went silent; closing it", SessionId, _roomKey);
                _connection?.Close(CloseReason.CallEnded, "Nothing came from this connection for too long; it is closed.");
                Context.Stop(Self);
                break;
            case SessionLeave:
                _connection?.Close(CloseReason.LeftCall, "You left the call.");
                Context.Stop(Self);
                break;
            case SocketClosed when _socket is null:
                Detach();
                break;
            case SocketClosed:
                break; // the first socket, already replaced by the one adopted
            case SocketCongestion or MediaConnected or MediaFailed or MediaInactive:
                break; // a few signalling frames per negotiation: nothing to slow down; news of media already replaced
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PostStop()
    {
        _graceTimer?.Cancel();
        _peer?.Dispose();
        _connection?.Close(CloseReason.ServerStopping, "The server is shutting down.");
    }

    /// <summary>A continuing socket's actor: the client's frames go to the session's owner; when this socket closes, the
    /// owner sees it go (it watches this actor) and waits for the next one.</summary>
    private void Relay(object message)
    {
        switch (message)
        {
            case ISessionMessage:
                _owner!.Forward(message);
                if (message is SessionLeave) Context.Stop(Self);
                break;
            case SocketClosed:
                Context.Stop(Self);
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _owner):
                _connection?.Close(CloseReason.CallEnded, "The session is over.");
                Context.Stop(Self);
                break;
        }
    }

    /// <summary>The socket is gone: a session that joined keeps its media for the grace, for a reconnect to continue.</summary>
    private void Detach()
    {
        _connection = null;
        _socket = null;
        if (_sessionId is null)
        {
            Context.Stop(Self);
            return;
        }
        _graceTimer?.Cancel();
        _graceTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(_grace, Self, new GraceOver(), Self);
    }

    private void Adopt(IPeerConnection connection)
    {
        _graceTimer?.Cancel();
        if (_socket is not null) Context.Unwatch(_socket);
        _connection?.Close(CloseReason.Superseded, "Replaced by a newer connection with the same sessionId.");
        _connection = connection;
        _socket = Sender;
        Context.Watch(_socket);
        _log.Info("Session {peer_id} of room {call_id} continues on a new socket", SessionId, _roomKey);
        if (_offerSent is not null) _connection.Send(new SessionDescriptionEvent("offer", _offerSent, SessionId));
        else OfferIfNeeded();
    }

    private void Join(string? sessionId)
    {
        if (_sessionId is not null) return; // one session per socket; a repeated join changes nothing
        _sessionId = sessionId is { Length: > 0 } ? sessionId : Ids.New();
        _rooms.Tell(new JoinMediaRoom(_roomKey, _sessionId, _userId, Self));
    }

    private void Refuse(Refusal refusal, string message)
    {
        _connection?.Send(new ErrorEvent(ErrorCodes.For(refusal), message));
        _connection?.Close(CloseReason.Refused, message, refusal);
        Context.Stop(Self);
    }

    private void OnOffer(string sdp)
    {
        Join(null); // a client that offers without joining first joins under a fresh session id
        // A new browser connection (a reload continuing the session) needs media of its own: start it afresh.
        var remoteUfrag = SessionDescription.Parse(sdp)?.Media.FirstOrDefault(m => m.IceUfrag is not null)?.IceUfrag;
        if (_peer is not null && remoteUfrag is not null && _remoteUfrag is not null && remoteUfrag != _remoteUfrag) ResetMedia();
        if (_peer is null)
        {
            _listener = new Listener(Self);
            _peer = _engine.CreatePeer($"{_roomKey}/{SessionId}", _listener);
            _negotiator = new SessionNegotiator(new ServerIdentity(_peer.Ice.Ufrag, _peer.Ice.Pwd, _engine.Certificate.Sha256Fingerprint, _engine.Candidates));
        }
        var outcome = _negotiator!.OnOffer(sdp);
        if (outcome.Error is { } error)
        {
            _connection?.Send(new ErrorEvent(ErrorCodes.BadMessage, error));
            return;
        }
        _offerSent = null; // the browser's offer won over ours
        _connection?.Send(new SessionDescriptionEvent("answer", outcome.AnswerSdp!, SessionId));
        if (outcome.Remote is { } remote)
        {
            _remoteUfrag = remote.IceUfrag;
            _peer.Connect($"{remote.Fingerprint.Algorithm} {remote.Fingerprint.Value}", remote.IceUfrag);
        }
        Publish(outcome.Published);
        OfferIfNeeded();
    }

    /// <summary>Forgets the media of a browser connection that is gone: its tracks leave the room, a new one starts.</summary>
    private void ResetMedia()
    {
        foreach (var track in _published.Values) _peer!.Unpublish(track);
        _published.Clear();
        _forwarded.Clear();
        _peer!.Dispose();
        _peer = null;
        _negotiator = null;
        _offerSent = null;
        _room?.Tell(new TracksPublished([]));
    }

    /// <summary>Tells the room what this browser sends now, when that changed.</summary>
    private void Publish(IReadOnlyList<AnnouncedTrack> announced)
    {
        var changed = false;
        foreach (var gone in _published.Keys.Where(ssrc => announced.All(a => a.Ssrc != ssrc)).ToList())
        {
            _peer!.Unpublish(_published[gone]);
            _published.Remove(gone);
            changed = true;
        }
        var stream = StreamId();
        foreach (var track in announced.Where(a => !_published.ContainsKey(a.Ssrc)))
        {
            var published = new PublishedTrack(_peer!, track.Ssrc, track.Kind, track.Codec, stream, $"{track.Kind.ToSdp()}-{track.Ssrc:x8}");
            _peer!.Publish(published);
            _published[track.Ssrc] = published;
            changed = true;
        }
        if (changed) _room?.Tell(new TracksPublished([.. _published.Values]));
    }

    /// <summary>How the others' browsers group this one's tracks: by user and session, which the page reads back.</summary>
    private string StreamId()
    {
        var session = new string(SessionId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(20).ToArray());
        return $"{_userId}.{session}";
    }

    private void OfferIfNeeded()
    {
        if (_negotiator is null || _connection is null) return; // offers wait for a socket to hear them
        foreach (var gone in _forwarded.Keys.Where(t => !_wanted.Contains(t)).ToList())
        {
            if (!_negotiator.Sending.ContainsKey(_forwarded[gone].TrackId)) _forwarded.Remove(gone);
        }
        var wanted = _wanted.Select(Local).ToList();
        if (_negotiator.OfferFor(wanted) is not { } offer) return;
        _offerSent = offer;
        _connection.Send(new SessionDescriptionEvent("offer", offer, SessionId));
    }

    /// <summary>A track of another's as this browser receives it: under an SSRC of its own.</summary>
    private LocalTrack Local(PublishedTrack track)
    {
        if (!_forwarded.TryGetValue(track, out var local))
        {
            var ssrc = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)) | 1; // never 0
            local = new LocalTrack(track.Kind, track.StreamId, track.TrackId, ssrc, "zvonim", track.Codec);
            _forwarded[track] = local;
        }
        return local;
    }

    private void OnAnswer(string sdp)
    {
        if (_negotiator is null)
        {
            _connection?.Send(new ErrorEvent(ErrorCodes.BadMessage, "There is no offer of the server's to answer: send your offer first."));
            return;
        }
        var outcome = _negotiator.OnAnswer(sdp);
        _offerSent = null;
        if (outcome.Error is { } error) _connection?.Send(new ErrorEvent(ErrorCodes.BadMessage, error));
        foreach (var removed in outcome.Removed)
        {
            if (Track(removed) is { } track) _peer!.StopReceiving(track);
        }
        foreach (var added in outcome.Added)
        {
            if (Track(added) is { } track) _peer!.Receive(track, added.Track.Ssrc, (byte)added.Codec.PayloadType);
        }
        OfferIfNeeded();
    }

    private PublishedTrack? Track(SenderBinding binding) => _forwarded.FirstOrDefault(f => f.Value.TrackId == binding.Track.TrackId).Key;
}
