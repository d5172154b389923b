using FsCheck;
using FsCheck.Fluent;
using Zvonim.Actors.Rooms;

namespace Zvonim.Tests.Rooms;

/// <summary>The room rules hold for any sequence of joins, leaves, connects and drops, under any policy.</summary>
public sealed class RoomStateProperties
{
    public sealed record Scenario(int Capacity, LeaveBehavior OnLeave, bool EndWhenEmpty, (int Op, int Peer)[] Steps)
    {
        public override string ToString() =>
            $"capacity {Capacity}, {OnLeave}, endWhenEmpty {EndWhenEmpty}: {string.Join(" ", Steps.Select(s => "JLCD"[s.Op] + s.Peer.ToString()))}";
    }

    private static readonly Gen<Scenario> Scenarios =
        from capacity in Gen.Choose(1, 6)
        from onLeave in Gen.Elements(LeaveBehavior.EndCall, LeaveBehavior.KeepOpen)
        from endWhenEmpty in Gen.Elements(true, false)
        from steps in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, 3), Gen.Choose(0, 7)))
        select new Scenario(capacity, onLeave, endWhenEmpty, steps);

    [Fact]
    public void Invariants_hold_for_any_history() =>
        Prop.ForAll(Arb.From(Scenarios), scenario =>
        {
            var room = new RoomState("call", new RoomPolicy { Capacity = scenario.Capacity, OnLeave = scenario.OnLeave, EndWhenEmpty = scenario.EndWhenEmpty },
                DateTimeOffset.UnixEpoch);
            var wasEnded = false;
            foreach (var (op, peer) in scenario.Steps)
            {
                var id = "p" + peer;
                var before = room.Count;
                var wasMember = room.Find(id) is not null;
                switch (op)
                {
                    case 0:
                        var refusal = room.Join(id, null, DateTimeOffset.UnixEpoch);
                        if (wasEnded) Assert.Equal(Refusal.Ended, refusal);
                        else if (!wasMember && before >= scenario.Capacity) Assert.Equal(Refusal.Full, refusal);
                        else Assert.Null(refusal);
                        break;
                    case 1:
                        var leaveRefusal = room.Leave(id, out var ended);
                        Assert.Equal(wasMember ? null : Refusal.NotAParticipant, leaveRefusal);
                        if (wasMember && !wasEnded && scenario.OnLeave == LeaveBehavior.EndCall) Assert.True(ended);
                        if (wasMember && !wasEnded && room.Count == 0 && scenario.EndWhenEmpty) Assert.True(ended);
                        break;
                    case 2:
                        var connect = room.Connect(id, DateTimeOffset.UnixEpoch);
                        Assert.Equal(wasEnded ? Refusal.Ended : wasMember ? null : Refusal.NotAParticipant, connect);
                        break;
                    default:
                        room.Disconnect(id);
                        break;
                }

                Assert.InRange(room.Count, 0, scenario.Capacity);
                Assert.Equal(room.Count, room.Participants.Select(p => p.PeerId).Distinct().Count());
                if (wasEnded) Assert.Equal(CallStatus.Ended, room.Status); // ended is final
                wasEnded = room.IsEnded;
                var expected = room.IsEnded ? CallStatus.Ended : room.Count >= 2 ? CallStatus.Active : CallStatus.Waiting;
                Assert.Equal(expected, room.Status);
                Assert.Equal(room.Participants.Count(p => p.WsConnected), room.Snapshot().ConnectedCount);
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Two_party_defaults_match_apiv2()
    {
        var room = new RoomState("c", new RoomPolicy(), DateTimeOffset.UnixEpoch);
        Assert.Null(room.Join("a", null, DateTimeOffset.UnixEpoch));
        Assert.Equal(CallStatus.Waiting, room.Status);
        Assert.Null(room.Join("b", null, DateTimeOffset.UnixEpoch));
        Assert.Equal(CallStatus.Active, room.Status);
        Assert.Equal(Refusal.Full, room.Join("c", null, DateTimeOffset.UnixEpoch));
        room.Leave("a", out var ended);
        Assert.True(ended);
        Assert.Equal(CallStatus.Ended, room.Status);
    }
}
