using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Storage;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using Zvonim.Web.Hosting;
using Zvonim.Web.Settings;

namespace Zvonim.Tests.Storage;

/// <summary>The call store on a real SQLite file and a real PostgreSQL: what a node wrote is what the next one reads.</summary>
public sealed class SqlCallStoreTests(ITestOutputHelper output) : VirtualTimeTestKit(output), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zvonim-store-").FullName;

    private Func<System.Data.Common.DbConnection> Database() =>
        CallDatabase.For(new StoreOptions { Path = Path.Combine(_directory, "calls.db") }, _directory)!;

    private static CallRecord Record(string callId, int people, bool ended = false) =>
        new(callId, new RoomPolicy(), new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), ended,
            [.. Enumerable.Range(0, people).Select(i => new ParticipantRecord($"peer-{i}", $"Person {i}", DateTimeOffset.UnixEpoch, null, "secret", "user"))]);

    [Fact]
    public Task On_sqlite_the_latest_record_of_each_call_survives_the_store_and_forgotten_calls_do_not() =>
        LatestRecordsSurviveAsync(Database());

    [Fact]
    public async Task On_postgresql_the_latest_record_of_each_call_survives_the_store_and_forgotten_calls_do_not()
    {
        await using var postgres = await Postgres.StartAsync();
        await LatestRecordsSurviveAsync(CallDatabase.Postgres(new StoreOptions { ConnectionString = postgres.ConnectionString })!);
    }

    [Fact]
    public async Task A_write_that_fails_is_kept_and_written_with_the_next_change_once_the_database_is_back()
    {
        var open = Database();
        SqlCallStore.Open(open);
        var store = Sys.ActorOf(SqlCallStore.Props(open));
        store.Tell(new SaveCall(Record("a", 1)));
        Assert.NotNull((await store.Ask<CallLoaded>(new LoadCall("a"), TimeSpan.FromSeconds(5))).Record); // the store has its connection

        using (var connection = open()) SqlCallStore.Execute(connection, "DROP TABLE zvonim_calls"); // the database loses its table under the store
        store.Tell(new SaveCall(Record("b", 2)));
        Assert.Null((await store.Ask<CallLoaded>(new LoadCall("b"), TimeSpan.FromSeconds(5))).Record); // the write (and the read) failed

        SqlCallStore.EnsureSchema(open);
        store.Tell(new SaveCall(Record("c", 1)));
        await store.GracefulStop(TimeSpan.FromSeconds(5));
        Assert.Equal(["b", "c"], SqlCallStore.Open(open).Select(r => r.CallId).Order());
    }

    [Fact]
    public async Task Changes_are_gathered_for_the_write_delay_and_then_written_without_anyone_asking()
    {
        var open = Database();
        SqlCallStore.Open(open);
        var store = Sys.ActorOf(SqlCallStore.Props(open, writeDelay: TimeSpan.FromMilliseconds(20)));
        store.Tell(new SaveCall(Record("a", 1)));
        store.Tell(new SaveCall(Record("a", 2)));
        store.Tell(new SaveCall(Record("b", 1)));
        await store.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(5)); // the store has taken the changes in
        Time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.Empty(SqlCallStore.Open(open));

        Time.Advance(TimeSpan.FromMilliseconds(1));
        AwaitAssert(() => Assert.Equal([("a", 2), ("b", 1)],
            SqlCallStore.Open(open).Select(r => (r.CallId, r.Participants.Count)).Order()), TimeSpan.FromSeconds(3));

        store.Tell(new SaveCall(Record("c", 1)));
        await store.GracefulStop(TimeSpan.FromSeconds(5)); // a node that stops inside the delay writes what it gathered
        Assert.Equal(["a", "b", "c"], SqlCallStore.Open(open).Select(r => r.CallId).Order());
    }

    [Fact]
    public async Task Changes_told_while_the_store_is_busy_are_written_when_the_node_stops()
    {
        var open = Database();
        SqlCallStore.Open(open);
        using var database = new ManualResetEventSlim(false);
        var store = Sys.ActorOf(SqlCallStore.Props(() =>
        {
            database.Wait(); // a slow disk: the store's thread waits here while changes queue behind it
            return open();
        }, writeDelay: TimeSpan.FromSeconds(1)));
        SqlCallStore.DrainBeforeTermination(Sys, store, TimeSpan.FromSeconds(10));
        await store.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(5)); // started, with its own mailbox
        store.Tell(new LoadCall("x"), TestActor);
        store.Tell(new SaveCall(Record("a", 1)));
        store.Tell(new SaveCall(Record("b", 2)));

        var stopped = CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance);
        // The database answers once the stopping node has asked the store to write (the drain in its mailbox, behind the
        // changes) or, without that, once the node has begun to stop its actors: the store would then handle its stop
        // before the changes still in its mailbox.
        var mailbox = ((ActorCell)((ActorRefWithCell)store).Underlying).Mailbox!.MessageQueue;
        var guardian = ((LocalActorRef)((ExtendedActorSystem)Sys).Guardian).Cell;
        try
        {
            AwaitCondition(() => mailbox.Count == 3 || guardian.ChildrenContainer.IsTerminating, TimeSpan.FromSeconds(10));
        }
        finally
        {
            database.Set();
        }
        await stopped.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal([("a", 1), ("b", 2)], SqlCallStore.Open(open).Select(r => (r.CallId, r.Participants.Count)).Order());
    }

    private async Task LatestRecordsSurviveAsync(Func<System.Data.Common.DbConnection> open)
    {
        Assert.Empty(SqlCallStore.Open(open)); // a new database gets its table
        var store = Sys.ActorOf(SqlCallStore.Props(open));
        store.Tell(new SaveCall(Record("a", 1)));
        store.Tell(new SaveCall(Record("b", 1)));
        store.Tell(new SaveCall(Record("a", 2))); // the latest wins
        store.Tell(new SaveCall(Record("c", 0)));
        store.Tell(new ForgetCall("c"));
        var loaded = await store.Ask<CallLoaded>(new LoadCall("a"), TimeSpan.FromSeconds(5));
        Assert.Equal(Record("a", 2).Participants, loaded.Record!.Participants);
        Assert.Null((await store.Ask<CallLoaded>(new LoadCall("c"), TimeSpan.FromSeconds(5))).Record);
        // What the cluster's sweep asks after: every call with a record, the forgotten one not among them.
        Assert.Equal(["a", "b"], (await store.Ask<CallsListed>(ListCalls.Instance, TimeSpan.FromSeconds(5))).CallIds.Order());

        store.Tell(new SaveCall(Record("b", 2, ended: true)));
        await store.GracefulStop(TimeSpan.FromSeconds(5)); // what is pending is written as the node stops
        var next = SqlCallStore.Open(open).OrderBy(r => r.CallId).ToList();
        Assert.Equal(["a", "b"], next.Select(r => r.CallId));
        Assert.Equal(Record("a", 2) with { Participants = next[0].Participants }, next[0]);
        Assert.Equal(Record("a", 2).Participants, next[0].Participants);
        Assert.True(next[1].Ended);
    }

    public new void Dispose()
    {
        base.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // left in the temp folder
        }
    }
}
