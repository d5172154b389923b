using Zvonim.Actors.Rooms;

namespace Zvonim.Tests.TestKit;

/// <summary>The room rules the actor tests run calls under, as the dialects configure them by default.</summary>
public static class Policies
{
    public static readonly RoomPolicy TwoParty = new()
    {
        IdleTtl = TimeSpan.FromMinutes(10),
        ReconnectGrace = TimeSpan.FromSeconds(30),
        FirstConnectTimeout = TimeSpan.FromMinutes(2),
        EndedRetention = TimeSpan.FromMinutes(5),
    };

    /// <summary>A room by link (seed 004): made with nobody in it, lives a week, stays open when someone leaves.</summary>
    public static readonly RoomPolicy LinkRoom = TwoParty with
    {
        Kind = "link-room",
        OnLeave = LeaveBehavior.KeepOpen,
        EndWhenEmpty = false,
        Lifetime = TimeSpan.FromDays(7),
        IdleTtl = TimeSpan.FromDays(7),
    };
}
