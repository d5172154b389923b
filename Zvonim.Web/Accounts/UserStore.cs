using System.Data.Common;
using Microsoft.Data.Sqlite;
using Zvonim.Web.Hosting;

namespace Zvonim.Web.Accounts;

public sealed record User(Guid Id, string Username, string PasswordHash);

/// <summary>
/// Accounts in the same database as the calls (SQLite by default, PostgreSQL when configured): one row per user, the
/// name unique without regard to case, the password only as its hash. With no database configured the users live in
/// an in-memory SQLite for the life of the process. Plain ADO.NET with SQL both databases speak.
/// </summary>
public sealed class UserStore : IDisposable
{
    private readonly Func<DbConnection> _open;
    private readonly SqliteConnection? _keepAlive; // an in-memory database lives while one connection is open

    /// <summary>Opens a connection to the accounts' database, for the stores that keep their tables beside it.</summary>
    public Func<DbConnection> Open => _open;

    public UserStore(Func<DbConnection>? open)
    {
        if (open is null)
        {
            var name = new SqliteConnectionStringBuilder
            {
                DataSource = $"zvonim-users-{Guid.NewGuid():N}", Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared,
            }.ToString();
            _keepAlive = new SqliteConnection(name);
            _keepAlive.Open();
            open = () =>
            {
                var connection = new SqliteConnection(name);
                connection.Open();
                return connection;
            };
        }
        _open = open;
        using var db = _open();
        using var create = db.CreateCommand();
        create.CommandText = "CREATE TABLE IF NOT EXISTS zvonim_users (id TEXT PRIMARY KEY, username TEXT NOT NULL, " +
            "username_key TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_at TEXT NOT NULL)";
        create.ExecuteNonQuery();
    }

    /// <summary>The new user, or null when the name is taken.</summary>
    public async Task<User?> AddAsync(string username, string passwordHash, DateTimeOffset now, CancellationToken ct)
    {
        var user = new User(Guid.NewGuid(), username, passwordHash);
        await using var db = _open();
        await using var insert = Sql.Command(db,
            "INSERT INTO zvonim_users (id, username, username_key, password_hash, created_at) VALUES (@id, @name, @key, @hash, @at) " +
            "ON CONFLICT (username_key) DO NOTHING",
            ("@id", user.Id.ToString()), ("@name", username), ("@key", Key(username)), ("@hash", passwordHash), ("@at", now.ToString("O")));
        return await insert.ExecuteNonQueryAsync(ct) == 1 ? user : null;
    }

    public async Task<User?> FindByNameAsync(string username, CancellationToken ct) =>
        (await QueryAsync("WHERE username_key = @key", ct, ("@key", Key(username)))).FirstOrDefault();

    public async Task<User?> FindAsync(Guid id, CancellationToken ct) =>
        (await QueryAsync("WHERE id = @id", ct, ("@id", id.ToString()))).FirstOrDefault();

    public Task<List<User>> AllAsync(CancellationToken ct) => QueryAsync("ORDER BY username_key", ct);

    public async Task UpdateHashAsync(Guid id, string passwordHash, CancellationToken ct)
    {
        await using var db = _open();
        await using var update = Sql.Command(db, "UPDATE zvonim_users SET password_hash = @hash WHERE id = @id", ("@hash", passwordHash), ("@id", id.ToString()));
        await update.ExecuteNonQueryAsync(ct);
    }

    private async Task<List<User>> QueryAsync(string where, CancellationToken ct, params (string, object)[] parameters)
    {
        await using var db = _open();
        await using var select = Sql.Command(db, $"SELECT id, username, password_hash FROM zvonim_users {where}", parameters);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var users = new List<User>();
        while (await reader.ReadAsync(ct)) users.Add(new User(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2)));
        return users;
    }

    /// <summary>Names are unique regardless of case: "Anna" and "anna" are one account.</summary>
    private static string Key(string username) => username.ToLowerInvariant();

    public void Dispose() => _keepAlive?.Dispose();
}
