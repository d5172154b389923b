using System.Data.Common;
using Microsoft.Data.Sqlite;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Hosting;

/// <summary>The database a single node keeps its calls in: an embedded SQLite file, nothing to install.</summary>
public static class CallDatabase
{
    /// <summary>Opens connections to the configured file (created if missing); null when nothing is to be kept.</summary>
    public static Func<DbConnection>? For(StoreOptions store, string contentRoot)
    {
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
}
