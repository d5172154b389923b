using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Zvonim.Tests.Web;

/// <summary>
/// A real PostgreSQL server (Debian's package) of the test's own: a fresh data directory, loopback only, a free port,
/// trust authentication, no fsync (a test's database need not survive a power cut). PostgreSQL refuses to run as root,
/// so as root it runs as the package's postgres user. Killed and removed on dispose.
/// </summary>
public sealed class Postgres : IAsyncDisposable
{
    private readonly Process _server;
    private readonly string _directory;
    private readonly StringBuilder _log = new();

    private Postgres(Process server, string directory, int port)
    {
        _server = server;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=zvonim;Database=postgres;Pooling=true";

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>The newest installed server's binaries (/usr/lib/postgresql/N/bin), or ZVONIM_POSTGRES_BIN.</summary>
    public static string BinDirectory =>
        Environment.GetEnvironmentVariable("ZVONIM_POSTGRES_BIN") is { Length: > 0 } bin
            ? bin
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                    .Select(d => Path.Combine(d, "bin")).FirstOrDefault(Directory.Exists) ?? ""
                : "";

    private static bool IsRoot => Environment.UserName == "root";

    public static async Task<Postgres> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "postgres")))
        {
            throw new InvalidOperationException(
                "PostgreSQL was not found under /usr/lib/postgresql. The PostgreSQL tests need Debian's server: " +
                "apt-get install -y postgresql (test.sh does this), or set ZVONIM_POSTGRES_BIN to its bin folder.");
        }
        var directory = Directory.CreateTempSubdirectory("zvonim-postgres-").FullName;
        if (IsRoot) Run("chown", "postgres:postgres", directory);
        var data = Path.Combine(directory, "data");
        Run(AsOwner(Path.Combine(BinDirectory, "initdb"), "-D", data, "-U", "zvonim", "--auth=trust", "--no-sync", "-E", "UTF8"));

        var port = ServerProcess.FreePort();
        var start = Start(AsOwner(Path.Combine(BinDirectory, "postgres"), "-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"));
        var server = Process.Start(start) ?? throw new InvalidOperationException("postgres did not start.");
        var postgres = new Postgres(server, directory, port);
        server.OutputDataReceived += (_, e) => postgres.Append(e.Data);
        server.ErrorDataReceived += (_, e) => postgres.Append(e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await postgres.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
        return postgres;
    }

    private static string[] AsOwner(params string[] command) => IsRoot ? ["runuser", "-u", "postgres", "--", .. command] : command;

    private static ProcessStartInfo Start(string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1)) start.ArgumentList.Add(arg);
        return start;
    }

    private static void Run(params string[] command)
    {
        using var process = Process.Start(Start(command)) ?? throw new InvalidOperationException($"{command[0]} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed ({process.ExitCode}): {errors}{output.Result}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_server.HasExited) throw new InvalidOperationException($"postgres exited with code {_server.ExitCode}:\n{Log}");
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=2");
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100); // still starting; PostgreSQL has no readiness signal for a child process
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ExternalProcess.StopAsync(_server, _directory);
    }
}
