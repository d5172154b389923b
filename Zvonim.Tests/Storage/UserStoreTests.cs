using Zvonim.Tests.Web;
using Zvonim.Web.Accounts;
using Zvonim.Web.Hosting;
using Zvonim.Web.Settings;

namespace Zvonim.Tests.Storage;

/// <summary>Accounts on a real SQLite file and a real PostgreSQL: names unique whatever their case, found again by a
/// new store on the same database (a restarted node).</summary>
public sealed class UserStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zvonim-users-").FullName;

    [Fact]
    public Task On_sqlite_accounts_are_unique_by_name_and_outlive_the_store() =>
        AccountsAsync(() => CallDatabase.For(new StoreOptions { Path = Path.Combine(_directory, "users.db") }, _directory)!);

    [Fact]
    public async Task On_postgresql_accounts_are_unique_by_name_and_outlive_the_store()
    {
        await using var postgres = await Postgres.StartAsync();
        await AccountsAsync(() => CallDatabase.Postgres(new StoreOptions { ConnectionString = postgres.ConnectionString })!);
    }

    private static async Task AccountsAsync(Func<Func<System.Data.Common.DbConnection>> database)
    {
        var now = DateTimeOffset.UtcNow;
        Guid annaId;
        using (var users = new UserStore(database()))
        {
            var anna = await users.AddAsync("Anna", "hash-1", now, CancellationToken.None);
            Assert.NotNull(anna);
            annaId = anna.Id;
            Assert.Null(await users.AddAsync("anna", "hash-2", now, CancellationToken.None)); // taken, whatever the case
            Assert.NotNull(await users.AddAsync("boris", "hash-3", now, CancellationToken.None));
        }
        using (var again = new UserStore(database()))
        {
            var anna = await again.FindByNameAsync("ANNA", CancellationToken.None);
            Assert.Equal((annaId, "Anna", "hash-1"), (anna!.Id, anna.Username, anna.PasswordHash));
            Assert.Equal("Anna", (await again.FindAsync(annaId, CancellationToken.None))!.Username);
            Assert.Equal(["Anna", "boris"], (await again.AllAsync(CancellationToken.None)).Select(u => u.Username));
            await again.UpdateHashAsync(annaId, "hash-4", CancellationToken.None);
            Assert.Equal("hash-4", (await again.FindAsync(annaId, CancellationToken.None))!.PasswordHash);
        }
    }

    public void Dispose()
    {
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
