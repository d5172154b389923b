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
    IReadOnlyList<ParticipantView> Participants)
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

    public CallStatus Status => IsEnded ? CallStatus.Ended : _participants.Count >= 2 ? CallStatus.Active : CallStatus.Waiting;

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
    public Refusal? Leave(string peerId, out bool endedCall)
    {
        endedCall = false;
        var participant = Find(peerId);
        if (participant is null) return Refusal.NotAParticipant;
        _participants.Remove(participant);
        if (!IsEnded && (Policy.OnLeave == LeaveBehavior.EndCall || (_participants.Count == 0 && Policy.EndWhenEmpty)))
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

    public void End() => IsEnded = true;

    /// <summary>The state as a record; <paramref name="proof"/> gives each participant's secret and address, if any.</summary>
    public CallRecord ToRecord(Func<string, (string? Secret, string? From)> proof) => new(CallId, Policy, CreatedAt, IsEnded,
        _participants.Select(p =>
        {
            var (secret, from) = proof(p.PeerId);
            return new ParticipantRecord(p.PeerId, p.DisplayName, p.JoinedAt, p.ConnectedAt, secret, from);
        }).ToArray());

    /// <summary>A call brought back from its record: the same people, none of them connected.</summary>
    public static RoomState FromRecord(CallRecord record)
    {
        var room = new RoomState(record.CallId, record.Policy, record.CreatedAt) { IsEnded = record.Ended };
        foreach (var p in record.Participants)
            room._participants.Add(new Participant(p.PeerId, p.DisplayName, p.JoinedAt) { ConnectedAt = p.ConnectedAt });
        return room;
    }

    public CallSnapshot Snapshot() => new(CallId, Policy.Kind, Status, Policy.Capacity, CreatedAt, ExpiresAt,
        _participants.Select(p => new ParticipantView(p.PeerId, p.DisplayName, p.JoinedAt, p.ConnectedAt, p.WsConnected)).ToArray());

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
