using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Time;

namespace Zvonim.Actors.Users;

/// <summary>How a device's calls are joined: the same limits a call socket of the other dialects has.</summary>
public sealed record LegSettings(int PendingLimit, PendingBudget? Budget = null, TimeSpan? AttachRetry = null);

/// <summary>
/// One signed-in socket (seed 002's <c>/api/v1/ws</c>): a device of its user. It registers with the user's
/// <see cref="UserPresence"/> so calls ring it, and shows the user's call news. A call this device accepts, or one whose
/// caller it is and sends signals in, gets a leg: a <see cref="PeerActor"/> child attached to the call's
/// <see cref="CallActor"/> like any other socket, so relaying, ordering, holding and flow control are the ones every
/// dialect has. The call decides who may be in it (first accept wins; one device per seat).
/// </summary>
public sealed class DeviceActor : UntypedActor
{
    public const string Kind = "direct-call";

    /// <summary>Calls a device may be in at once; a user's line admits one call, this bounds what a client can ask.</summary>
    public const int MaxLegs = 4;

    /// <summary>Frames about calls this device may not be in (no such call, not a participant) it may send in a
    /// minute. Each one costs a lookup, in a cluster a read from the store: past this the socket is closed (1008).</summary>
    public const int RefusalsPerMinute = 30;

    private static readonly TimeSpan RegisterAgain = TimeSpan.FromSeconds(1);

    private readonly string _userId;
    private readonly IActorRef _calls;
    private readonly IActorRef _users;
    private readonly IPeerConnection _connection;
    private readonly LegSettings _legSettings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, LegConnection> _legs = new(StringComparer.Ordinal);
    private readonly ReadAhead? _readAhead;
    private readonly Queue<string> _ended = new(); // calls this device was told are over, so it is told once
    private IActorRef? _presence;
    private bool _ready;
    private bool _congested;
    private long _legCount;
    private ICancelable? _registerAgain;
    private readonly TimeProvider _time = Context.System.Clock();
    private long _refusalWindowStart;
    private int _refusalsInWindow;

    private sealed class Register : INoSerializationVerificationNeeded
    {
        public static readonly Register Instance = new();
    }

    /// <param name="readAhead">Shared with the socket's reader: every message it reads is counted there, and given back
    /// once handled here or, for a call's frames, by the call's leg.</param>
    public static Props Props(string userId, IActorRef calls, IActorRef users, IPeerConnection connection, LegSettings legs,
        ReadAhead? readAhead = null) =>
        ActorFactory.PropsOnce(() => new DeviceActor(userId, calls, users, connection, legs, readAhead));

    public DeviceActor(string userId, IActorRef calls, IActorRef users, IPeerConnection connection, LegSettings legs, ReadAhead? readAhead = null)
    {
        _readAhead = readAhead;
        _userId = userId;
        _calls = calls;
        _users = users;
        _connection = connection;
        _legSettings = legs;
    }

    protected override void PreStart() => _users.Tell(new RegisterDevice(_userId, Self), Self);

    protected override void PostStop()
    {
        _readAhead?.Release();
        _registerAgain?.Cancel();
        _connection.Close(CloseReason.ServerStopping, "The server is shutting down.");
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case DeviceSignal signal:
                Pass(signal);
                break;
            case DeviceAnswer { Accept: true } accept:
                if (_legs.ContainsKey(accept.CallId))
                    _connection.Send(new CallErrorEvent(accept.CallId, ErrorCodes.AnsweredElsewhere, "This device is in the call already."));
                else LegFor(accept.CallId, answer: true);
                _readAhead?.Handled();
                break;
            case DeviceAnswer reject:
                _calls.Tell(new LeaveCall(reject.CallId, _userId, Kind), Self);
                _readAhead?.Handled();
                break;
            case DeviceHangUp hangUp:
                _calls.Tell(new LeaveCall(hangUp.CallId, _userId, Kind), Self);
                _readAhead?.Handled();
                break;
            case CallRefused refused:
                _connection.Send(new CallErrorEvent(refused.CallId, ErrorCodes.For(refused.Reason), refused.Message));
                CountRefusal(refused.Reason);
                break;
            case CallLeft:
                break; // the call's end reaches every device as CallOver
            case IncomingCall incoming:
                _connection.Send(new CallIncomingEvent(incoming.CallId, incoming.FromUserId, incoming.FromName));
                break;
            case CallAnswered answered:
                _connection.Send(new CallAcceptedEvent(answered.CallId));
                break;
            case AnsweredElsewhere elsewhere:
                if (!_legs.ContainsKey(elsewhere.CallId)) TellEnded(elsewhere.CallId, EndReasons.AnsweredElsewhere);
                break;
            case CallOver over:
                TellEnded(over.CallId, EndReasons.Name(over.Reason));
                break;
            case LegClosed closed:
                OnLegClosed(closed);
                break;
            case SocketCongestion congestion:
                _congested = congestion.Congested;
                foreach (var leg in _legs.Values) leg.Leg.Tell(congestion, Self);
                break;
            case DeviceRegistered:
                OnRegistered();
                break;
            case Terminated terminated when Equals(terminated.ActorRef, _presence):
                // In a cluster the user's presence moved (its node left, or it passivated as this socket opened).
                _presence = null;
                _registerAgain = Context.System.Scheduler.ScheduleTellOnceCancelable(RegisterAgain, Self, Register.Instance, Self);
                break;
            case Register:
                _users.Tell(new RegisterDevice(_userId, Self), Self);
                break;
            case SocketClosed:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRegistered()
    {
        if (_presence is not null) Context.Unwatch(_presence);
        _presence = Sender;
        Context.Watch(_presence);
        if (_ready) return;
        _ready = true;
        _connection.Send(new ReadyEvent(_userId));
    }

    /// <summary>A frame of a call goes to its leg, which gives the reader's count back once it has handled it.</summary>
    private void Pass(DeviceSignal signal)
    {
        if (LegFor(signal.CallId, answer: false) is not { } leg)
        {
            _readAhead?.Handled();
            return;
        }
        leg.Told();
        leg.Leg.Tell(signal.Signal, Self);
    }

    /// <summary>The leg for <paramref name="callId"/>, made on first use: by the callee's accept, or by the caller's
    /// first signal. The call refuses a leg it should not have (not answered yet, another device's seat, ended).</summary>
    private LegConnection? LegFor(string callId, bool answer)
    {
        if (_legs.TryGetValue(callId, out var existing)) return existing;
        if (_legs.Count >= MaxLegs)
        {
            _connection.Send(new CallErrorEvent(callId, ErrorCodes.BadMessage, $"A device can be in at most {MaxLegs} calls at once."));
            return null;
        }
        var connection = new LegConnection(callId, _connection, Self, _readAhead);
        var attach = new AttachPeer(callId, _userId, Kind: Kind, Answer: answer);
        var leg = Context.ActorOf(PeerActor.Props(attach, _calls, connection, _legSettings.PendingLimit, _legSettings.Budget, _legSettings.AttachRetry),
            "leg-" + ++_legCount);
        connection.Leg = leg;
        _legs[callId] = connection;
        if (_congested) leg.Tell(new SocketCongestion(true), Self);
        return connection;
    }

    private void OnLegClosed(LegClosed closed)
    {
        if (_legs.TryGetValue(closed.CallId, out var leg) && ReferenceEquals(leg, closed.Leg))
        {
            _legs.Remove(closed.CallId);
            leg.Retire();
        }
        if (closed.Reason == CloseReason.Refused) CountRefusal(closed.Refusal);
        if (closed.Reason == CloseReason.CallEnded && closed.Last?.EndReason is { } reason) TellEnded(closed.CallId, EndReasons.Name(reason));
        else if (closed.Reason == CloseReason.Superseded)
            _connection.Send(new CallErrorEvent(closed.CallId, ErrorCodes.AnsweredElsewhere, "The call moved to another of your devices."));
    }

    /// <summary>One more frame about a call this device may not be in; past <see cref="RefusalsPerMinute"/> in a minute the
    /// socket is closed, so that one signed-in client cannot keep the node (and a cluster's store) looking calls up.</summary>
    private void CountRefusal(Refusal? reason)
    {
        // A call not answered yet, or busy, is one the client may well be in: only lookups that could never succeed count.
        if (reason is not (Refusal.NotFound or Refusal.NotAParticipant or Refusal.Forbidden)) return;
        var now = _time.GetTimestamp();
        if (_refusalsInWindow == 0 || _time.GetElapsedTime(_refusalWindowStart, now) >= TimeSpan.FromMinutes(1))
        {
            _refusalWindowStart = now;
            _refusalsInWindow = 0;
        }
        if (++_refusalsInWindow <= RefusalsPerMinute) return;
        _log.Info("Device of user {UserId} closed: more than {Count} refused calls in a minute", _userId, RefusalsPerMinute);
        _connection.Close(CloseReason.TooManyRefusals, $"More than {RefusalsPerMinute} frames about calls you are not in within a minute; closing.");
        Context.Stop(Self);
    }

    /// <summary>Says <c>call:end</c> once per call, however many ways the news arrives (the user's presence, the leg).</summary>
    private void TellEnded(string callId, string reason)
    {
        if (_ended.Contains(callId)) return;
        if (_ended.Count == 16) _ended.Dequeue();
        _ended.Enqueue(callId);
        if (_legs.Remove(callId, out var leg))
        {
            leg.Retire();
            Context.Stop(leg.Leg);
        }
        _connection.Send(new CallEndEvent(callId, reason));
    }
}
