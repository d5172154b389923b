using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Hosting;

/// <summary>The database calls are kept in: an embedded SQLite file by default (nothing to install), or the
/// PostgreSQL an operator runs, which the nodes of a cluster share.</summary>
public static class CallDatabase
{
    /// <summary>Opens connections to the configured PostgreSQL database, else to the SQLite file (created if missing);
    /// null when nothing is to be kept.</summary>
    public static Func<DbConnection>? For(StoreOptions store, string contentRoot)
    {
        if (Postgres(store) is { } postgres) return postgres;
        if (string.IsNullOrWhiteSpace(store.Path)) return null;
        var file = Path.GetFullPath(store.Path, contentRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString();
        return () =>
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var pragma = connection.CreateCommand();
            // Write-ahead log: a commit is one append, and readers never wait for the writer. NORMAL sync keeps every
            // commit across a crash of the process (only a power cut may lose the last ones).
            pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
            pragma.ExecuteNonQuery();
            return connection;
        };
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NpgsqlDataSource> DataSources = new();

    /// <summary>Connections to PostgreSQL, when a connection string is set: one pool per database for the calls and the
    /// accounts alike.</summary>
    public static Func<DbConnection>? Postgres(StoreOptions store)
    {
        if (string.IsNullOrWhiteSpace(store.ConnectionString)) return null;
        var dataSource = DataSources.GetOrAdd(store.ConnectionString, NpgsqlDataSource.Create);
        return () => dataSource.OpenConnection();
    }
}
