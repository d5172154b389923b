using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Calls;

/// <summary>A room created with nobody in it, kept as a few fields until someone uses it.</summary>
public sealed record DormantRoom(RoomPolicy Policy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Rooms whose creation made nobody a participant (link rooms, shared by link and used later, or never) and whose
/// fixed lifetime ends them before their idle TTL would. Until their first command they need no actor: a record of
/// about 200 bytes instead of a <see cref="CallActor"/> of about 5 KB, which matters when a node holds 100 000 links
/// for a week. The manager wakes one into an actor on its first command, or when its lifetime is over (so that it ends
/// and is retained like any other call).
/// </summary>
public sealed class DormantRooms
{
    private readonly Dictionary<string, DormantRoom> _rooms = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();

    public int Count => _rooms.Count;

    /// <summary>Whether a room made under <paramref name="policy"/> by <paramref name="create"/> may start dormant.</summary>
    public static bool CanStartDormant(CreateCall create) =>
        create.Creator is null && create.Policy.Lifetime is { } lifetime && lifetime <= create.Policy.IdleTtl;

    public DormantRoom Add(string callId, RoomPolicy policy, DateTimeOffset now)
    {
        var room = new DormantRoom(policy, now, now + policy.Lifetime!.Value);
        _rooms.Add(callId, room);
        _byExpiry.Enqueue(callId, room.ExpiresAt);
        Telemetry.ZvonimMetrics.RoomsDormant(1);
        return room;
    }

    public bool TryGet(string callId, out DormantRoom room) => _rooms.TryGetValue(callId, out room!);

    /// <summary>Takes the room out to be woken; its expiry entry is skipped when it comes up.</summary>
    public bool TryWake(string callId, out DormantRoom room)
    {
        if (!_rooms.Remove(callId, out room!)) return false;
        Telemetry.ZvonimMetrics.RoomsDormant(-1);
        return true;
    }

    /// <summary>When the earliest remaining room's lifetime is over, if any.</summary>
    public DateTimeOffset? NextExpiry
    {
        get
        {
            while (_byExpiry.TryPeek(out var callId, out var at))
            {
                if (_rooms.ContainsKey(callId)) return at;
                _byExpiry.Dequeue(); // woken earlier
            }
            return null;
        }
    }

    /// <summary>Takes out every room whose lifetime is over at <paramref name="now"/>.</summary>
    public List<(string CallId, DormantRoom Room)> TakeExpired(DateTimeOffset now)
    {
        var expired = new List<(string, DormantRoom)>();
        while (NextExpiry is { } at && at <= now)
        {
            var callId = _byExpiry.Dequeue();
            if (_rooms.Remove(callId, out var room)) expired.Add((callId, room));
        }
        Telemetry.ZvonimMetrics.RoomsDormant(-expired.Count);
        return expired;
    }
}
