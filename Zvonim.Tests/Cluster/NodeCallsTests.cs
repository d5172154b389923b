using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Cluster;

/// <summary>In a cluster, <c>Limits:MaxCalls</c> holds per node: the node that would host a new call refuses it when it
/// already runs as many, and takes new ones again as calls go.</summary>
public sealed class NodeCallsTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static StartCall Start(string callId) => new(callId, new CreateCall(new RoomPolicy(), new JoinAs(null)));

    [Fact]
    public async Task A_node_at_its_call_limit_refuses_new_calls_and_takes_them_again_when_one_is_gone()
    {
        using var node = ActorSystem.Create("node", ConfigurationFactory.ParseString("zvonim.max-calls = 1").WithFallback(Sys.Settings.Config));
        var first = node.ActorOf(CallEntity.Props("call-1"));
        Assert.IsType<CallCreated>(await first.Ask<ICallReply>(Start("call-1"), Patience));

        var second = node.ActorOf(CallEntity.Props("call-2"));
        Assert.Equal(Refusal.AtCapacity, Assert.IsType<CallRefused>(await second.Ask<ICallReply>(Start("call-2"), Patience)).Reason);

        await first.GracefulStop(Patience);
        var third = node.ActorOf(CallEntity.Props("call-3"));
        Assert.IsType<CallCreated>(await third.Ask<ICallReply>(Start("call-3"), Patience));
        Assert.Equal(1, NodeCalls.Get(node).Count);
        await node.Terminate();
    }

    [Fact]
    public async Task An_ended_call_kept_to_answer_about_itself_leaves_its_place_to_a_new_call()
    {
        using var node = ActorSystem.Create("node", ConfigurationFactory.ParseString("zvonim.max-calls = 1").WithFallback(Sys.Settings.Config));
        var first = node.ActorOf(CallEntity.Props("call-1"));
        var created = Assert.IsType<CallCreated>(await first.Ask<ICallReply>(Start("call-1"), Patience));
        Assert.IsType<CallLeft>(await first.Ask<ICallReply>(new LeaveCall("call-1", created.PeerId!), Patience));
        await AwaitConditionAsync(() => Task.FromResult(NodeCalls.Get(node).Count == 0), Patience); // its entity hears of the end after the reply

        var second = node.ActorOf(CallEntity.Props("call-2"));
        Assert.IsType<CallCreated>(await second.Ask<ICallReply>(Start("call-2"), Patience));
        Assert.Equal(CallStatus.Ended, Assert.IsType<CallInfo>(await first.Ask<ICallReply>(new GetCall("call-1"), Patience)).Snapshot.Status);
        await node.Terminate();
    }

    /// <summary>Stands where the cluster's call store would, passing on what the calls tell it.</summary>
    [Fact]
    public async Task A_node_holds_no_more_ended_calls_than_its_limit_the_oldest_retires_and_its_record_is_forgotten()
    {
        using var node = ActorSystem.Create("node", ConfigurationFactory.ParseString("zvonim.max-calls = 1").WithFallback(Sys.Settings.Config));
        var store = CreateTestProbe(node);
        node.ActorOf(StandIn.For(store.Ref), CallStore.Name);
        foreach (var callId in new[] { "call-1", "call-2" })
        {
            var entity = node.ActorOf(CallEntity.Props(callId));
            var created = Assert.IsType<CallCreated>(await entity.Ask<ICallReply>(Start(callId), Patience));
            Assert.IsType<CallLeft>(await entity.Ask<ICallReply>(new LeaveCall(callId, created.PeerId!), Patience));
            await AwaitConditionAsync(() => Task.FromResult(NodeCalls.Get(node).Count == 0), Patience);
        }
        // Two ended calls on a node that holds one: the first goes, and takes its record with it.
        store.FishForMessage<ForgetCall>(f => f.CallId == "call-1", Patience);
        await node.Terminate();
    }

    /// <summary>A node whose call store is a probe, and the entity of <c>call-1</c> on it.</summary>
    private (ActorSystem Node, TestProbe Store, IActorRef Entity) EntityWithStoreProbe()
    {
        var node = ActorSystem.Create("node", Sys.Settings.Config);
        var store = CreateTestProbe(node);
        node.ActorOf(StandIn.For(store.Ref), CallStore.Name);
        return (node, store, node.ActorOf(CallEntity.Props("call-1")));
    }

    /// <summary>The record of <c>call-1</c>, waiting for its one participant.</summary>
    private CallLoaded WaitingRecord()
    {
        var at = Time.GetUtcNow();
        return new CallLoaded("call-1", new CallRecord("call-1", new RoomPolicy(), at, false, [new ParticipantRecord("peer-a", null, at, null)]));
    }

    [Fact]
    public async Task A_call_whose_record_cannot_be_read_is_answered_try_again_not_gone_and_is_read_again_a_second_later()
    {
        var (node, store, entity) = EntityWithStoreProbe();
        using var _ = node;

        // The store is down: the call may well exist, so it is "try again" (503, close 1013), never "not found" (4404).
        var first = entity.Ask<ICallReply>(new GetCall("call-1"), Patience);
        store.ExpectMsg<LoadCall>(Patience);
        store.Reply(new CallLoaded("call-1", null, Failed: true));
        Assert.Equal(Refusal.AtCapacity, Assert.IsType<CallRefused>(await first).Reason);

        // Within the second, answered so at once: a down store is not asked once per retrying socket.
        Assert.Equal(Refusal.AtCapacity, Assert.IsType<CallRefused>(await entity.Ask<ICallReply>(new GetCall("call-1"), Patience)).Reason);
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Time.Advance(CallEntity.ReadAgainAfter);
        var again = entity.Ask<ICallReply>(new GetCall("call-1"), Patience);
        store.ExpectMsg<LoadCall>(Patience);
        store.Reply(WaitingRecord());
        Assert.Equal(CallStatus.Waiting, Assert.IsType<CallInfo>(await again).Snapshot.Status);
        await node.Terminate();
    }

    /// <summary>A store that does not answer (a database that hangs): the call's requests are not held for good but told
    /// to try again once the read has taken too long. The store is not handed a second request while the first is
    /// still with it, and the first one's answer, when it comes, serves the read that is waiting then.</summary>
    [Fact]
    public async Task A_read_of_the_record_that_never_returns_is_given_up_and_asked_again()
    {
        var (node, store, entity) = EntityWithStoreProbe();
        using var _ = node;

        var first = entity.Ask<ICallReply>(new GetCall("call-1"), Patience);
        store.ExpectMsg<LoadCall>(Patience);
        var asker = store.LastSender;
        Time.Advance(CallEntity.LoadTimeout);
        Assert.Equal(Refusal.AtCapacity, Assert.IsType<CallRefused>(await first).Reason);

        Time.Advance(CallEntity.ReadAgainAfter);
        var again = entity.Ask<ICallReply>(new GetCall("call-1"), Patience);
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        asker.Tell(WaitingRecord(), store.Ref); // the database answers the first request at last
        Assert.Equal(CallStatus.Waiting, Assert.IsType<CallInfo>(await again).Snapshot.Status);
        await node.Terminate();
    }
}
