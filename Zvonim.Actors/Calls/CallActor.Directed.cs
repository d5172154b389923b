using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Users;

namespace Zvonim.Actors.Calls;

/// <summary>
/// A directed call (seed 002): the caller places it over REST, it takes both users' lines (in the order of their ids,
/// so two calls racing for the same people cannot each hold one), rings every device of the callee, and waits up to
/// <see cref="RoomPolicy.RingTimeout"/> for the first accept. The accepting socket takes the callee's seat, the
/// caller's first signalling socket takes the caller's; relaying is then the same as in every other call. Hanging up
/// ends it for both, with the reason told to every device of both users.
/// </summary>
public sealed partial class CallActor
{
    private IActorRef? _creator;          // who placed the call, answered once both lines are held
    private readonly Queue<(string User, string Other, bool Calling)> _lines = new(); // still to claim
    private readonly List<string> _held = [];
    private ICancelable? _ring;
    private ICanTell? _users;
    private bool _placed; // both lines held: the callee may answer

    private sealed record RingTimedOut : INoSerializationVerificationNeeded;

    private ICanTell Users => _users ??= Context.ActorSelection("/user/" + UserDirectory.Name);

    private void OnCreateDirected(CreateCall create)
    {
        var now = _time.GetUtcNow();
        var caller = create.Creator?.PeerId;
        var callee = create.Callee?.PeerId;
        if (caller is null || callee is null || caller == callee)
        {
            Sender.Tell(new CallRefused(CallId, Refusal.NotAParticipant, "A directed call needs a caller and another user to call."), Self);
            Context.Parent.Tell(new Passivate(CallId), Self);
            return;
        }
        _room.Join(caller, create.Creator!.DisplayName, now);
        _room.Join(callee, create.Callee!.DisplayName, now);
        foreach (var seat in new[] { caller, callee }) ArmDeadline(seat, _room.Policy.FirstConnectTimeout);
        _creator = Sender;
        // Both lines, lowest user id first: of two calls between the same people, one gets both and the other none.
        foreach (var line in new[] { (caller, callee, true), (callee, caller, false) }.OrderBy(l => l.Item1, StringComparer.Ordinal))
            _lines.Enqueue(line);
        _ring = Context.System.Scheduler.ScheduleTellOnceCancelable(_room.Policy.RingTimeout!.Value, Self, new RingTimedOut(), Self);
        ClaimNextLine();
    }

    private void ClaimNextLine()
    {
        if (_lines.TryDequeue(out var line))
        {
            Users.Tell(new ClaimLine(line.User, CallId, line.Other, line.Calling), Self);
            return;
        }
        // Both lines are ours: the call exists for everyone now.
        _placed = true;
        Save();
        _log.Info("Call {call_id} placed by user {peer_id} to user {Callee}", CallId, _room.Caller, _room.Callee);
        _creator?.Tell(new CallCreated(CallId, _room.Caller, _room.Snapshot()), Self);
        _creator = null;
        var caller = _room.Participants[0];
        Users.Tell(new RingUser(_room.Callee!, new IncomingCall(CallId, caller.PeerId, caller.DisplayName)), Self);
    }

    private void OnRinging(object message)
    {
        switch (message)
        {
            case LineClaimed or LineBusy when _room.Rung:
                break; // a restored call taking its lines back: nothing to wait for
            case LineClaimed claimed when claimed.CallId == CallId && !_room.IsEnded:
                _held.Add(claimed.UserId);
                ClaimNextLine();
                break;
            case LineBusy busy when busy.CallId == CallId && !_room.IsEnded:
                OnLineBusy(busy);
                break;
            case Rang rang when !_room.IsEnded && !_room.Answered:
                if (rang.Devices == 0)
                {
                    EndCall($"user {rang.UserId} has no device online", EndReason.Unavailable);
                    break;
                }
                _room.MarkRung();
                _log.Info("Call {call_id} rings {Devices} devices", CallId, rang.Devices);
                BroadcastState();
                break;
            case RingTimedOut when !_room.IsEnded && !_room.Answered:
                // Lines not yet held mean the user directory did not answer in time: the call failed, it was never rung.
                EndCall("nobody answered", _room.Rung ? EndReason.NoAnswer : EndReason.Failed);
                break;
        }
    }

    /// <summary>A line is taken: the call never was, for anyone but its creator, who hears why.</summary>
    private void OnLineBusy(LineBusy busy)
    {
        foreach (var user in _held) Users.Tell(new ReleaseLine(user, CallId), ActorRefs.NoSender);
        _held.Clear();
        _lines.Clear();
        CancelRing();
        _room.End();
        var self = busy.UserId == _room.Caller;
        var refusal = busy.Glare
            ? new CallRefused(CallId, Refusal.Glare, "This user is calling you right now: accept their call instead.", busy.HeldBy)
            : new CallRefused(CallId, Refusal.Busy, self ? "You are in another call already." : "This user is in another call.");
        _log.Info("Call {call_id} not placed: user {peer_id} is busy{Glare}", CallId, busy.UserId, busy.Glare ? " calling the other" : "");
        _creator?.Tell(refusal, Self);
        _creator = null;
        Context.Parent.Tell(new Passivate(CallId), Self); // nobody knows its id: it goes at once
    }

    /// <summary>What stops a socket from taking its seat in a directed call; null when it may.</summary>
    private Refusal? DirectedRefusal(AttachPeer attach, RoomState.Participant? participant)
    {
        if (participant is null) return Refusal.NotAParticipant;
        if (_room.IsEnded) return Refusal.Ended;
        if (attach.Answer)
        {
            if (participant.PeerId != _room.Callee) return Refusal.NotAParticipant;
            if (_room.Answered) return Refusal.AnsweredElsewhere;
            // The ring reaches the callee's devices before this call hears how many there were: an accept may well
            // overtake that count, so it is good as soon as both lines are held.
            return _placed ? null : Refusal.NotAnswered;
        }
        if (!_room.Answered) return Refusal.NotAnswered;
        // One socket per seat: another device of the same user waits until this one has gone.
        return _sockets.TryGetValue(participant.PeerId, out var socket) && !Equals(socket, Sender) ? Refusal.AnsweredElsewhere : null;
    }

    private void OnAnswered(string callee)
    {
        _room.Answer(callee);
        CancelRing();
        Save();
        _log.Info("Call {call_id} answered by user {peer_id}", CallId, callee);
        Users.Tell(new TellUser(callee, new AnsweredElsewhere(CallId)), ActorRefs.NoSender);
        Users.Tell(new TellUser(_room.Caller!, new CallAnswered(CallId)), ActorRefs.NoSender);
    }

    private void OnHangUp(LeaveCall leave)
    {
        if (_room.IsEnded)
        {
            if (_room.Find(leave.PeerId) is null) Sender.Tell(Refuse(Refusal.NotAParticipant), Self);
            else Sender.Tell(new CallLeft(CallId, leave.PeerId, _room.Snapshot()), Self); // hanging up twice is harmless
            return;
        }
        if (_room.HangUpReason(leave.PeerId) is not { } reason)
        {
            Sender.Tell(Refuse(Refusal.NotAParticipant), Self);
            return;
        }
        EndCall($"user {leave.PeerId} hung up", reason);
        Sender.Tell(new CallLeft(CallId, leave.PeerId, _room.Snapshot()), Self);
    }

    /// <summary>A call brought back after its node stopped: an answered one holds both lines again (the users' presence
    /// may have gone with the node); one that was still ringing cannot be answered any more and ends.</summary>
    private void RestoreDirected()
    {
        if (_room.IsEnded) return;
        if (!_room.Answered)
        {
            EndCall("it was ringing when its node stopped", EndReason.Failed);
            return;
        }
        _placed = true;
        Users.Tell(new ClaimLine(_room.Caller!, CallId, _room.Callee!, true), Self);
        Users.Tell(new ClaimLine(_room.Callee!, CallId, _room.Caller!, false), Self);
    }

    private void TellBoth(IUserNotice notice)
    {
        foreach (var participant in _room.Participants) Users.Tell(new TellUser(participant.PeerId, notice), ActorRefs.NoSender);
    }

    private void CancelRing()
    {
        _ring?.Cancel();
        _ring = null;
    }
}
