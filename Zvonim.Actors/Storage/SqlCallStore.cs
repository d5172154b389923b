using System.Data.Common;
using System.Text.Json;
using Akka;
using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;

namespace Zvonim.Actors.Storage;

/// <summary>
/// Every call's <see cref="CallRecord"/> in a SQL table (one row per call, the record as JSON), so that calls and room
/// links outlive a restart. The same protocol as the cluster's <see cref="CallStore"/>: calls tell it
/// <see cref="SaveCall"/> and <see cref="ForgetCall"/> and never wait for it. Changes are gathered for a short while
/// (<c>Store:WriteDelay</c>) and written together in one transaction, the latest record of a call winning: a setup's
/// half-dozen changes become one or two rows, and a busy node commits about ten times a second, not once per change.
/// A node that stops writes what it gathered; a crash may lose that much. It blocks on the database, so it runs on a
/// thread of its own (see hocon).
/// Plain ADO.NET with SQL that SQLite and PostgreSQL both speak (upsert by ON CONFLICT).
/// </summary>
public sealed class SqlCallStore : UntypedActor
{
    public const string Dispatcher = "zvonim.store-dispatcher";

    private readonly Func<DbConnection> _open;
    private readonly TimeSpan _writeDelay;
    private Dictionary<string, CallRecord?> _pending = new(StringComparer.Ordinal); // null: forget it
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DbConnection? _connection;
    private bool _flushQueued;
    private ICancelable? _flush;

    private sealed class Flush : INoSerializationVerificationNeeded
    {
        public static readonly Flush Instance = new();
    }

    /// <param name="writeDelay">How long changes are gathered before they are written; zero writes as soon as the
    /// changes already queued are in.</param>
    public static Props Props(Func<DbConnection> open, TimeSpan writeDelay = default) =>
        ActorFactory.Props(() => new SqlCallStore(open, writeDelay)).WithDispatcher(Dispatcher);

    public SqlCallStore(Func<DbConnection> open, TimeSpan writeDelay = default)
    {
        _open = open;
        _writeDelay = writeDelay;
    }

    /// <summary>Creates the table if it is not there.</summary>
    public static void EnsureSchema(Func<DbConnection> open)
    {
        using var connection = open();
        Execute(connection, "CREATE TABLE IF NOT EXISTS zvonim_calls (call_id TEXT PRIMARY KEY, record TEXT NOT NULL)");
    }

    /// <summary>Creates the table if it is not there, and reads every record (a single node, at start, before any call runs).</summary>
    public static IReadOnlyList<CallRecord> Open(Func<DbConnection> open)
    {
        EnsureSchema(open);
        using var connection = open();
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT record FROM zvonim_calls";
        using var reader = select.ExecuteReader();
        var records = new List<CallRecord>();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize<CallRecord>(reader.GetString(0)) is { } record) records.Add(record);
        }
        return records;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SaveCall save:
                Queue(save.Record.CallId, save.Record);
                break;
            case ForgetCall forget:
                Queue(forget.CallId, null);
                break;
            case Flush:
                _flushQueued = false;
                Write();
                break;
            case LoadCall load:
                Write(); // what this node said last comes first
                Sender.Tell(Load(load.CallId), Self);
                break;
            case ListCalls:
                Write();
                Sender.Tell(List(), Self);
                break;
            case DrainStore:
                Write();
                Sender.Tell(StoreDrained.Instance, Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Queue(string callId, CallRecord? record)
    {
        _pending[callId] = record;
        if (_flushQueued) return;
        _flushQueued = true;
        if (_writeDelay > TimeSpan.Zero) _flush = Context.System.Scheduler.ScheduleTellOnceCancelable(_writeDelay, Self, Flush.Instance, Self);
        else Self.Tell(Flush.Instance, Self); // behind whatever is queued now: they are written together
    }

    private void Write()
    {
        if (_pending.Count == 0) return;
        var rows = Rows();
        try
        {
            var connection = Connection();
            using var transaction = connection.BeginTransaction();
            using var upsert = Command(connection, transaction,
                "INSERT INTO zvonim_calls (call_id, record) VALUES (@id, @record) ON CONFLICT (call_id) DO UPDATE SET record = excluded.record");
            using var delete = Command(connection, transaction, "DELETE FROM zvonim_calls WHERE call_id = @id");
            foreach (var (callId, json) in rows)
            {
                var command = json is null ? delete : upsert;
                command.Parameters[0].Value = callId;
                if (json is not null) command.Parameters[1].Value = json;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
            // A new dictionary, not Clear(): Clear wipes the whole capacity a burst once grew it to, on every write
            // (measured: 6 % of this thread's time in memset at 580 setups/s).
            _pending = new Dictionary<string, CallRecord?>(StringComparer.Ordinal);
        }
        catch (Exception ex)
        {
            // Kept for the next write: calls go on meanwhile, only a restart would find them older.
            _log.Error(ex, "Could not write {Count} call records; will retry with the next change", _pending.Count);
            _connection?.Dispose();
            _connection = null;
        }
    }

    /// <summary>The pending changes as rows (null: delete). A record that cannot be written as JSON is dropped here, with
    /// an error logged, so that it cannot hold back every later write as a database failure would.</summary>
    private List<(string CallId, string? Json)> Rows()
    {
        var rows = new List<(string, string?)>(_pending.Count);
        foreach (var (callId, record) in _pending)
        {
            try
            {
                rows.Add((callId, record is null ? null : JsonSerializer.Serialize(record)));
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
            {
                _log.Error(ex, "The record of call {call_id} cannot be written as JSON; it is not kept", callId);
            }
        }
        return rows;
    }

    private CallLoaded Load(string callId)
    {
        try
        {
            using var select = Command(Connection(), null, "SELECT record FROM zvonim_calls WHERE call_id = @id");
            select.Parameters[0].Value = callId;
            return new CallLoaded(callId, select.ExecuteScalar() is string json ? JsonSerializer.Deserialize<CallRecord>(json) : null);
        }
        catch (JsonException ex)
        {
            // A row no call can come back from: the call is as good as gone (and the store is not restarted over it).
            _log.Error(ex, "The record of call {call_id} cannot be read back; it is treated as gone", callId);
            return new CallLoaded(callId, null);
        }
        catch (Exception ex)
        {
            // Not "no such call": the call's sockets would take that as final. The caller tries again shortly. Any
            // failure, not only the database's: a store that threw would be restarted and the request never answered.
            _log.Error(ex, "Could not read the record of call {call_id}", callId);
            _connection?.Dispose();
            _connection = null;
            return new CallLoaded(callId, null, Failed: true);
        }
    }

    private CallsListed List()
    {
        try
        {
            using var select = Command(Connection(), null, "SELECT call_id FROM zvonim_calls");
            using var reader = select.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read()) ids.Add(reader.GetString(0));
            return new CallsListed(ids);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not list the call records");
            _connection?.Dispose();
            _connection = null;
            return new CallsListed([], Failed: true);
        }
    }

    private DbConnection Connection() => _connection ??= _open();

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in new[] { "@id", "@record" }.Where(sql.Contains))
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    internal static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Has the node's shutdown drain <paramref name="store"/> before its actors are stopped. A stopping actor handles
    /// its stop before the messages still in its mailbox, which are dropped: changes told while the store was busy
    /// writing (an fsync on a slow disk takes tens of milliseconds) would be lost when the node stopped just then,
    /// and a restarted node would bring its rooms back as they were before those changes. The drain goes through the
    /// mailbox behind them, so everything told before the node began to stop is written.
    /// </summary>
    public static void DrainBeforeTermination(ActorSystem system, IActorRef store, TimeSpan timeout)
    {
        var log = Logging.GetLogger(system, typeof(SqlCallStore));
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "zvonim-drain-call-store", async () =>
        {
            try
            {
                await store.Ask<StoreDrained>(DrainStore.Instance, timeout).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                log.Error("The call store did not write its pending records within {0}; the latest changes of some calls may be lost", timeout);
            }
            return Done.Instance;
        });
    }

    /// <summary>Whatever is still pending is written before the node goes.</summary>
    protected override void PostStop()
    {
        _flush?.Cancel();
        Write();
        _connection?.Dispose();
    }
}
