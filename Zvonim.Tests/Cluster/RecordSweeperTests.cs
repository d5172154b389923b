using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Cluster;

/// <summary>
/// A call whose node died and that nobody came back to kept its record for good (in PostgreSQL, a row per lost call).
/// The oldest node now asks after every recorded call once in a while, in virtual time here: a lost call comes back
/// from its record, ends as any call does, and its record goes.
/// </summary>
public sealed class RecordSweeperTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    /// <summary>Stands where a cluster's shard region is: one <see cref="CallEntity"/> per call id, made on first use.</summary>
    private sealed class Region : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case ICallCommand command:
                    var entity = Context.Child(command.CallId);
                    if (entity.IsNobody()) entity = Context.ActorOf(CallEntity.Props(command.CallId), command.CallId);
                    entity.Forward(command);
                    break;
                case Akka.Cluster.Sharding.Passivate passivate:
                    Sender.Tell(passivate.StopMessage);
                    break;
            }
        }
    }

    /// <summary>Returns once the actor has started (and armed its timer), so that virtual time moves past it.</summary>
    private void Started(IActorRef actor)
    {
        actor.Tell(new Identify(null), TestActor);
        ExpectMsg<ActorIdentity>();
    }

    [Fact]
    public async Task A_call_lost_with_its_node_is_brought_back_by_the_sweep_ends_when_nobody_returns_and_its_record_goes()
    {
        var store = CreateTestProbe();
        var storeActor = Sys.ActorOf(StandIn.For(store.Ref), CallStore.Name);
        var region = Sys.ActorOf(Props.Create<Region>(), "calls");
        Started(Sys.ActorOf(RecordSweeper.Props(storeActor, region, Interval, () => true)));

        var lostAt = Time.GetUtcNow();
        Time.Advance(Interval);
        store.ExpectMsg<ListCalls>();
        store.Reply(new CallsListed(["lost-call"]));

        // Its entity is made and reads the record: two people who were in the call when its node died.
        Assert.Equal("lost-call", store.ExpectMsg<LoadCall>().CallId);
        var policy = new RoomPolicy();
        store.Reply(new CallLoaded("lost-call", new CallRecord("lost-call", policy, lostAt, false,
            [new ParticipantRecord("anna", null, lostAt, lostAt), new ParticipantRecord("boris", null, lostAt, lostAt)], Answered: true)));

        var restored = Assert.IsType<CallInfo>(await region.Ask<ICallReply>(new GetCall("lost-call"), TimeSpan.FromSeconds(5))).Snapshot;
        Assert.Equal(CallStatus.Active, restored.Status);

        // Nobody comes back within the grace: the call ends, is kept to answer about itself, then goes with its record.
        Time.Advance(policy.ReconnectGrace);
        Assert.True(store.FishForMessage<SaveCall>(save => save.Record.Ended).Record.Ended);
        Time.Advance(policy.EndedRetention);
        Assert.Equal("lost-call", store.FishForMessage<ForgetCall>(_ => true).CallId);
    }

    [Fact]
    public void Only_the_node_that_sweeps_lists_the_records_and_the_calls_are_asked_after_a_few_hundred_a_second()
    {
        var interval = TimeSpan.FromSeconds(1.5);
        var store = CreateTestProbe();
        var calls = CreateTestProbe();
        var sweepsHere = false;
        Started(Sys.ActorOf(RecordSweeper.Props(store.Ref, calls.Ref, interval, () => sweepsHere)));

        Time.Advance(interval);
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // not the oldest node: nothing to do

        sweepsHere = true;
        Time.Advance(interval); // 3.0 s
        store.ExpectMsg<ListCalls>();
        var ids = Enumerable.Range(0, RecordSweeper.PerSecond * 2 + 50).Select(i => $"call-{i}").ToList();
        store.Reply(new CallsListed(ids));

        var asked = new List<string>();
        void TakeAsked(int count)
        {
            for (var i = 0; i < count; i++) asked.Add(calls.ExpectMsg<GetCall>().CallId);
            calls.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        }
        TakeAsked(RecordSweeper.PerSecond);
        Time.Advance(TimeSpan.FromSeconds(1)); // 4.0 s
        TakeAsked(RecordSweeper.PerSecond);

        Time.Advance(TimeSpan.FromSeconds(0.5)); // 4.5 s: the next sweep is due, but this one is still going
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Time.Advance(TimeSpan.FromSeconds(0.5)); // 5.0 s
        TakeAsked(50);
        Assert.Equal(ids, asked);

        Time.Advance(TimeSpan.FromSeconds(1)); // 6.0 s
        store.ExpectMsg<ListCalls>();
    }

    [Fact]
    public void A_store_that_never_answers_a_listing_does_not_stop_this_node_sweeping()
    {
        var store = CreateTestProbe();
        var calls = CreateTestProbe();
        Started(Sys.ActorOf(RecordSweeper.Props(store.Ref, calls.Ref, Interval, () => true)));
        Time.Advance(Interval);
        store.ExpectMsg<ListCalls>(); // and it never answers (it failed on the request and restarted)

        Time.Advance(Interval);
        store.ExpectMsg<ListCalls>();
        store.Reply(new CallsListed(["call-1"]));
        Assert.Equal("call-1", calls.ExpectMsg<GetCall>().CallId);
    }
}

/// <summary>The in-memory store (DistributedData) lists what it holds, on a real one-node cluster.</summary>
public sealed class ReplicatedCallStoreTests
{
    [Fact]
    public async Task The_replicated_store_lists_every_call_with_a_record_and_not_a_forgotten_one()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            """);
        using var system = ActorSystem.Create("store-test", config);
        var cluster = Akka.Cluster.Cluster.Get(system);
        await cluster.JoinAsync(cluster.SelfAddress);
        var store = system.ActorOf(CallStore.Props());
        var at = DateTimeOffset.UnixEpoch;
        foreach (var id in new[] { "a", "b", "c" }) store.Tell(new SaveCall(new CallRecord(id, new RoomPolicy(), at, false, [])));
        store.Tell(new ForgetCall("b"));

        // No wait: the store asks the replicator for the listing after its updates, and the replicator applies an update
        // to its own replica as it takes it in (the majority only decides when the writer hears back).
        var listed = await store.Ask<CallsListed>(ListCalls.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal(["a", "c"], listed.CallIds.Order());
        await system.Terminate();
    }
}
