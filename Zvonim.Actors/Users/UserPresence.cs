using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Users;

/// <summary>
/// One signed-in user: the devices (sockets) they have open, and the directed call that holds their line. Rings and
/// tells every device; a device that opens while the line rings is rung too. Devices are watched, so a closed socket
/// leaves by itself. In a cluster this is a sharded entity that passivates when the user has neither devices nor a line.
/// </summary>
public sealed class UserPresence : UntypedActor
{
    public static Props Props(string userId) => ActorFactory.Props(() => new UserPresence(userId, passivates: false));

    /// <summary>As a sharded entity: stops (through its shard) once idle.</summary>
    public static Props EntityProps(string userId) => ActorFactory.Props(() => new UserPresence(userId, passivates: true));

    private readonly string _userId;
    private readonly bool _passivates;
    private readonly HashSet<IActorRef> _devices = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Line? _line;

    private sealed record Line(string CallId, string OtherUserId, bool Calling)
    {
        public IncomingCall? Ringing { get; set; } // while the callee's devices ring, what a new device is told
    }

    private sealed class Stop : INoSerializationVerificationNeeded
    {
        public static readonly Stop Instance = new();
    }

    /// <summary>How long the call holding the line has to say it goes on, before the line is answered busy anyway.</summary>
    internal static readonly TimeSpan CheckHolderTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What the call holding the line said when another call claimed it: <paramref name="Over"/> when it is no
    /// more (not found, or ended).</summary>
    private sealed record HolderChecked(ClaimLine Claim, IActorRef Claimant, string Holder, bool Over) : INoSerializationVerificationNeeded;

    public UserPresence(string userId, bool passivates)
    {
        _userId = userId;
        _passivates = passivates;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RegisterDevice register:
                if (_devices.Add(register.Device)) Context.Watch(register.Device);
                register.Device.Tell(new DeviceRegistered(_userId), Self);
                if (_line?.Ringing is { } ringing) register.Device.Tell(ringing, Self);
                break;
            case Terminated terminated:
                _devices.Remove(terminated.ActorRef);
                PassivateIfIdle();
                break;
            case ClaimLine claim:
                OnClaim(claim);
                break;
            case HolderChecked check:
                if (check.Over && _line?.CallId == check.Holder)
                {
                    _log.Info("Line of user {UserId} freed: call {call_id} that held it is over", _userId, check.Holder);
                    _line = null;
                }
                Answer(check.Claim, check.Claimant);
                break;
            case ReleaseLine release:
                if (_line?.CallId == release.CallId) _line = null;
                PassivateIfIdle();
                break;
            case RingUser ring:
                if (_line?.CallId == ring.Call.CallId) _line.Ringing = ring.Call;
                TellDevices(ring.Call);
                Sender.Tell(new Rang(_userId, ring.Call.CallId, _devices.Count), Self);
                break;
            case TellUser tell:
                OnTell(tell.Notice);
                break;
            case GetPresence:
                Sender.Tell(new Presence(_userId, _devices.Count > 0), Self);
                break;
            case Stop:
                Context.Stop(Self); // devices that raced the stop see it (they watch) and register again
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnClaim(ClaimLine claim)
    {
        if (_line is null || _line.CallId == claim.CallId)
        {
            Answer(claim, Sender);
            return;
        }
        // Held by another call. In a cluster that call may have gone with its node, its timers with it, and nothing else
        // would ever free the line: asked, it comes back from its record and ends if it cannot go on (a call that was
        // ringing does), which tells this line. So the line is busy only if the call holding it says it goes on.
        var holder = _line.CallId;
        var claimant = Sender;
        Context.ActorSelection("/user/" + CallManager.Name).Ask<ICallReply>(new GetCall(holder), CheckHolderTimeout)
            .ContinueWith(asked => new HolderChecked(claim, claimant, holder, Over: asked.IsCompletedSuccessfully && asked.Result is
                CallRefused { Reason: Refusal.NotFound } or CallInfo { Snapshot.Status: CallStatus.Ended }), TaskScheduler.Default)
            .PipeTo(Self);
    }

    /// <summary>Gives the line to <paramref name="claim"/>'s call, or answers busy when another call holds it.</summary>
    private void Answer(ClaimLine claim, IActorRef claimant)
    {
        if (_line is null || _line.CallId == claim.CallId)
        {
            _line = new Line(claim.CallId, claim.OtherUserId, claim.Calling);
            claimant.Tell(new LineClaimed(_userId, claim.CallId), Self);
            return;
        }
        var glare = _line.OtherUserId == claim.OtherUserId && _line.Calling != claim.Calling;
        _log.Info("Line of user {UserId} busy with call {call_id}{Glare}", _userId, _line.CallId, glare ? " (both called each other)" : "");
        claimant.Tell(new LineBusy(_userId, claim.CallId, _line.CallId, glare), Self);
    }

    private void OnTell(IUserNotice notice)
    {
        if (_line?.CallId == notice.CallId)
        {
            if (notice is CallOver) _line = null;
            else _line.Ringing = null; // answered: nothing rings any more
        }
        TellDevices(notice);
        PassivateIfIdle();
    }

    private void TellDevices(object notice)
    {
        foreach (var device in _devices) device.Tell(notice, Self);
    }

    private void PassivateIfIdle()
    {
        if (_passivates && _devices.Count == 0 && _line is null) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(Stop.Instance));
    }
}
