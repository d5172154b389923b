using Zvonim.Actors.Calls;

namespace Zvonim.Actors.Rooms;

public enum Refusal
{
    NotFound,
    Full,
    Ended,
    NotAParticipant,
    /// <summary>The node carries as many calls as it may; nothing is created until some end.</summary>
    AtCapacity,
    /// <summary>A public peer id used without its secret from another address.</summary>
    Forbidden,
    /// <summary>A directed call: the caller or the callee is in another call already.</summary>
    Busy,
    /// <summary>A directed call to someone who is calling the caller right now: the other call is the one to accept.</summary>
    Glare,
    /// <summary>A directed call not answered yet: nothing flows before the callee accepts.</summary>
    NotAnswered,
    /// <summary>A directed call answered on another device (or a seat in use by another socket of the same user).</summary>
    AnsweredElsewhere,
}

public sealed record ParticipantView(string PeerId, string? DisplayName, DateTimeOffset JoinedAt, DateTimeOffset? ConnectedAt, bool WsConnected);

/// <summary>What a call looks like from outside; the reply to a status query and the payload of every state push.</summary>
public sealed record CallSnapshot(
    string CallId,
    string Kind,
    CallStatus Status,
    int Capacity,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<ParticipantView> Participants,
    EndReason? EndReason = null)
{
    public int Count => Participants.Count;

    public int ConnectedCount => Participants.Count(p => p.WsConnected);
}

/// <summary>
/// One call's room rules, free of actors and time sources: the actor feeds it commands and the current time and
/// acts on what it answers. The only implementation of capacity, join, leave and status in Zvonim.
/// </summary>
public sealed class RoomState(string callId, RoomPolicy policy, DateTimeOffset createdAt)
{
    private readonly List<Participant> _participants = [];

    public string CallId { get; } = callId;

    public RoomPolicy Policy { get; } = policy;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public DateTimeOffset? ExpiresAt => Policy.Lifetime is { } lifetime ? CreatedAt + lifetime : null;

    public bool IsEnded { get; private set; }

    /// <summary>A directed call: its callee accepted.</summary>
    public bool Answered { get; private set; }

    /// <summary>A directed call: the callee's devices were rung.</summary>
    public bool Rung { get; private set; }

    public EndReason? EndReason { get; private set; }

    public CallStatus Status => IsEnded ? CallStatus.Ended
        : Policy.IsDirected ? Answered ? CallStatus.Active : Rung ? CallStatus.Ringing : CallStatus.Waiting
        : _participants.Count >= 2 ? CallStatus.Active : CallStatus.Waiting;

    /// <summary>A directed call's caller: the first seat.</summary>
    public string? Caller => Policy.IsDirected && _participants.Count > 0 ? _participants[0].PeerId : null;

    /// <summary>A directed call's callee: the second seat.</summary>
    public string? Callee => Policy.IsDirected && _participants.Count > 1 ? _participants[1].PeerId : null;

    public int Count => _participants.Count;

    public bool AnyConnected => _participants.Exists(p => p.WsConnected);

    public IReadOnlyList<Participant> Participants => _participants;

    public Participant? Find(string peerId) => _participants.Find(p => p.PeerId == peerId);

    /// <summary>Adds a participant, or says why not.</summary>
    public Refusal? Join(string peerId, string? displayName, DateTimeOffset now)
    {
        if (IsEnded) return Refusal.Ended;
        if (Find(peerId) is not null) return null;
        if (_participants.Count >= Policy.Capacity) return Refusal.Full;
        _participants.Add(new Participant(peerId, displayName, now));
        return null;
    }

    /// <summary>The oldest seat held past <see cref="RoomPolicy.SeatHold"/> by someone who joined and never connected,
    /// which a newcomer may take when the room is full; null when there is none (or the policy holds seats forever).</summary>
    public string? ReclaimableSeat(DateTimeOffset now) =>
        Policy.SeatHold is { } hold && Policy.OnLeave == LeaveBehavior.KeepOpen
            ? _participants.Where(p => p.ConnectedAt is null && now - p.JoinedAt >= hold).MinBy(p => p.JoinedAt)?.PeerId
            : null;

    /// <summary>Removes a participant; answers whether that ended the call.</summary>
    public Refusal? Leave(string peerId, out bool endedCall) => Remove(peerId, leaving: true, out endedCall);

    /// <summary>Removes a participant who joined and never connected (its first-connect time ran out): its seat is
    /// given back and the call goes on for the others, whatever <see cref="RoomPolicy.OnLeave"/> says, since nobody
    /// left a call they were never in. Only a call it leaves empty ends (as a leave would have ended it).</summary>
    public Refusal? GiveBackSeat(string peerId, out bool endedCall) => Remove(peerId, leaving: false, out endedCall);

    private Refusal? Remove(string peerId, bool leaving, out bool endedCall)
    {
        endedCall = false;
        var participant = Find(peerId);
        if (participant is null) return Refusal.NotAParticipant;
        _participants.Remove(participant);
        var leaveEnds = Policy.OnLeave == LeaveBehavior.EndCall;
        var empty = _participants.Count == 0;
        if (!IsEnded && (leaving && leaveEnds || empty && (Policy.EndWhenEmpty || leaveEnds)))
        {
            IsEnded = true;
            endedCall = true;
        }
        return null;
    }

    /// <summary>Marks the participant's socket open. Every connect and disconnect moves the epoch on, so a timer armed
    /// for an older epoch can tell it is stale.</summary>
    public Refusal? Connect(string peerId, DateTimeOffset now)
    {
        if (IsEnded) return Refusal.Ended;
        var participant = Find(peerId);
        if (participant is null) return Refusal.NotAParticipant;
        participant.WsConnected = true;
        participant.ConnectedAt ??= now;
        participant.Epoch++;
        return null;
    }

    public void Disconnect(string peerId)
    {
        if (Find(peerId) is not { WsConnected: true } participant) return;
        participant.WsConnected = false;
        participant.Epoch++;
    }

    /// <summary>Ends the call; the first reason given is the one that stays.</summary>
    public void End(EndReason? reason = null)
    {
        if (IsEnded) return;
        IsEnded = true;
        EndReason = reason;
    }

    public void MarkRung()
    {
        if (!IsEnded) Rung = true;
    }

    /// <summary>A directed call's callee accepts: the first accept wins.</summary>
    public Refusal? Answer(string peerId)
    {
        if (IsEnded) return Refusal.Ended;
        if (peerId != Callee) return Refusal.NotAParticipant;
        if (Answered) return Refusal.AnsweredElsewhere;
        Answered = true;
        return null;
    }

    /// <summary>Why a directed call ends when <paramref name="peerId"/> hangs up: before an answer the caller cancels and
    /// the callee rejects; after it, the call is complete. Null for someone not in the call.</summary>
    public EndReason? HangUpReason(string peerId) =>
        Find(peerId) is null ? null : Answered ? Rooms.EndReason.Completed : peerId == Caller ? Rooms.EndReason.Canceled : Rooms.EndReason.Rejected;

    /// <summary>The state as a record; <paramref name="proof"/> gives each participant's secret and address, if any.</summary>
    public CallRecord ToRecord(Func<string, (string? Secret, string? From)> proof) => new(CallId, Policy, CreatedAt, IsEnded,
        _participants.Select(p =>
        {
            var (secret, from) = proof(p.PeerId);
            return new ParticipantRecord(p.PeerId, p.DisplayName, p.JoinedAt, p.ConnectedAt, secret, from);
        }).ToArray(), Answered, EndReason);

    /// <summary>A call brought back from its record: the same people, none of them connected.</summary>
    public static RoomState FromRecord(CallRecord record)
    {
        var room = new RoomState(record.CallId, record.Policy, record.CreatedAt)
        {
            IsEnded = record.Ended, Answered = record.Answered, Rung = record.Answered, EndReason = record.EndReason,
        };
        foreach (var p in record.Participants)
            room._participants.Add(new Participant(p.PeerId, p.DisplayName, p.JoinedAt) { ConnectedAt = p.ConnectedAt });
        return room;
    }

    public CallSnapshot Snapshot() => new(CallId, Policy.Kind, Status, Policy.Capacity, CreatedAt, ExpiresAt,
        _participants.Select(p => new ParticipantView(p.PeerId, p.DisplayName, p.JoinedAt, p.ConnectedAt, p.WsConnected)).ToArray(), EndReason);

    public sealed class Participant(string peerId, string? displayName, DateTimeOffset joinedAt)
    {
        public string PeerId { get; } = peerId;

        public string? DisplayName { get; } = displayName;

        public DateTimeOffset JoinedAt { get; } = joinedAt;

        public DateTimeOffset? ConnectedAt { get; internal set; }

        public bool WsConnected { get; internal set; }

        public int Epoch { get; internal set; }
    }
}
