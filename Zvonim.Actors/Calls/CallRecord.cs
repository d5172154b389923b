using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Calls;

/// <summary>
/// What a call must not lose when the node that runs it dies: its rules, age, whether it ended, and who is in it with
/// their proofs. Sockets are not in it: a call brought back from its record has everyone disconnected, within their
/// reconnect grace, and each socket re-attaches.
/// </summary>
/// <param name="Answered">A directed call: its callee accepted.</param>
public sealed record CallRecord(string CallId, RoomPolicy Policy, DateTimeOffset CreatedAt, bool Ended, IReadOnlyList<ParticipantRecord> Participants,
    bool Answered = false, EndReason? EndReason = null);

public sealed record ParticipantRecord(string PeerId, string? DisplayName, DateTimeOffset JoinedAt, DateTimeOffset? ConnectedAt,
    string? Secret = null, string? From = null);
