using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Zvonim.Bench.Bare;
using Zvonim.Bench.Load;

namespace Zvonim.Bench.Servers;

/// <summary>A server the scenarios drive: Zvonim, the bare relay or the PeerJS server, running somewhere on loopback.</summary>
public abstract class ServerUnderTest : IAsyncDisposable
{
    /// <summary>"zvonim", "versus" (another Zvonim build beside it), "bare" or "peerjs".</summary>
    public required string Target { get; init; }

    /// <summary>How the generator speaks to it.</summary>
    public RelayProtocol Protocol => Target == "peerjs" ? RelayProtocol.PeerJs : RelayProtocol.Apiv2;

    /// <summary>What exactly ran (versions), for the report; null when nothing worth saying.</summary>
    public string? Note { get; init; }

    public required Uri Url { get; init; }

    /// <summary>The server's own process, for its memory figures; null when unknown.</summary>
    public int? Pid { get; init; }

    /// <summary>True when <see cref="Pid"/> is this process (the figures then include the generator).</summary>
    public bool SharesProcess => Pid == Environment.ProcessId;

    public string Describe() => $"{Target} at {Url} ({(Pid is null ? "pid unknown" : SharesProcess ? "in this process" : $"pid {Pid}")})";

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A server somebody else started (--url / --bare-url).</summary>
public sealed class ExternalServer : ServerUnderTest;

/// <summary>The bare relay inside this process.</summary>
public sealed class InProcessBare : ServerUnderTest
{
    public required BareRelay Relay { get; init; }

    public static async Task<InProcessBare> StartAsync(bool buffered)
    {
        var relay = await BareRelay.StartAsync(buffered: buffered).ConfigureAwait(false);
        return new InProcessBare { Target = "bare", Url = relay.Url, Pid = Environment.ProcessId, Relay = relay };
    }

    public override ValueTask DisposeAsync() => Relay.DisposeAsync();
}

/// <summary>
/// A server in a child process on a free loopback port: Zvonim from its built Zvonim.Web.dll, the bare relay from
/// this tool's own dll (<c>serve-bare</c>), or the PeerJS server under node (<see cref="PeerJsServer"/>); each
/// optionally under <c>taskset -c</c> (<see cref="CorePinning"/>). Killed (by its pid) when disposed.
/// </summary>
public sealed class SpawnedServer : ServerUnderTest
{
    private readonly Process _process;
    private readonly StringBuilder _log;
    private string? _scratch; // a folder of the server's own (its SQLite file), deleted when it stops

    private SpawnedServer(Process process, StringBuilder log)
    {
        _process = process;
        _log = log;
    }

    public string RecentOutput
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <param name="target">The name it is reported under: "zvonim", or "versus" for another build run beside it.</param>
    public static Task<SpawnedServer> StartZvonimAsync(string? serverDll, IEnumerable<string> environment, int? core, TextWriter? progress, string target = "zvonim")
    {
        var dll = serverDll ?? FindZvonimDll()
            ?? throw new FileNotFoundException("Zvonim.Web.dll not found; build Zvonim.Web (dotnet build -c Release) or pass --server-dll.");
        dll = Path.GetFullPath(dll); // the server runs in the dll's directory, where a relative path means something else
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} does not exist.");
        var port = FreePort();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Serilog__MinimumLevel__Default"] = "Warning",
        };
        // A database of its own, new and deleted after: a file left by the last run would bring its ended calls back at
        // start, and two servers sharing one would wait on each other's locks.
        var scratch = Directory.CreateTempSubdirectory("zvonim-bench-").FullName;
        var database = Path.Combine(scratch, "zvonim.db");
        env["Zvonim__Store__Path"] = database;
        // The generator is one client on a few loopback addresses: per-address limits would measure the limiter.
        foreach (var (key, value) in Zvonim.Web.Settings.LimitOptions.PerAddressLifted("__")) env[key] = value;
        foreach (var (key, value) in ParseEnvironment(environment)) env[key] = value;
        return StartAsync(target, "dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"], DirectoryOf(dll), port, env, core, progress,
            scratch: scratch);
    }

    /// <param name="environment">--server-env: only the runtime's own settings (DOTNET_*, e.g. the perf map for a
    /// profile) apply to the bare relay; Zvonim's settings mean nothing to it.</param>
    public static Task<SpawnedServer> StartBareAsync(bool buffered, IEnumerable<string> environment, int? core, TextWriter? progress)
    {
        var port = FreePort();
        var self = typeof(SpawnedServer).Assembly.Location;
        string[] args = [self, "serve-bare", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. buffered ? new[] { "--buffered" } : []];
        var env = ParseEnvironment(environment).Where(e => e.Key.StartsWith("DOTNET_", StringComparison.Ordinal)).ToDictionary();
        return StartAsync("bare", "dotnet", args, DirectoryOf(self), port, env, core, progress);
    }

    private static IEnumerable<KeyValuePair<string, string>> ParseEnvironment(IEnumerable<string> environment)
    {
        foreach (var pair in environment)
        {
            var at = pair.IndexOf('=');
            if (at <= 0) throw new ArgumentException($"--server-env takes KEY=VALUE, not '{pair}'.");
            yield return new(pair[..at], pair[(at + 1)..]);
        }
    }

    /// <summary>Starts <paramref name="program"/> (under <c>taskset -c <paramref name="core"/></c> when given, which
    /// execs it: the pid stays the server's) and waits until it answers HTTP on <paramref name="port"/>.</summary>
    internal static async Task<SpawnedServer> StartAsync(string target, string program, string[] args, string workingDirectory, int port,
        Dictionary<string, string> env, int? core, TextWriter? progress, string? note = null, string? scratch = null)
    {
        if (core is { } pinTo) (program, args) = CorePinning.Taskset(pinTo, program, args);
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in env) start.Environment[key] = value;

        var log = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}");
        void Keep(string? line)
        {
            if (line is null) return;
            lock (log)
            {
                if (log.Length > 64 * 1024) log.Remove(0, 32 * 1024);
                log.AppendLine(line);
            }
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var url = new Uri($"http://127.0.0.1:{port}/");
        var server = new SpawnedServer(process, log) { Target = target, Url = url, Pid = process.Id, Note = note, _scratch = scratch };
        progress?.WriteLine($"[{target}] started pid {process.Id}: {program} {string.Join(' ', args)}");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BenchClient.RequireLoopback(url), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var exitCode = process.ExitCode;
                await server.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"The {target} server exited with {exitCode}:\n{server.RecentOutput}");
            }
            try
            {
                using var probe = await http.GetAsync("/apiv2/calls/readiness-probe").ConfigureAwait(false);
                return server; // any answer (404 for Zvonim, 405 for the bare relay) means it is serving
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                    throw new TimeoutException($"The {target} server did not answer on {url} within 30 s:\n{server.RecentOutput}");
                }
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }
        _process.Dispose();
        if (_scratch is not null)
        {
            try
            {
                Directory.Delete(_scratch, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A server that would not die keeps its folder; the run's figures matter more than a leftover file.
            }
        }
    }

    /// <summary>The repository's Zvonim.Web build of the same configuration as this tool, else any, else a copy
    /// next to this tool.</summary>
    public static string? FindZvonimDll()
    {
#if DEBUG
        string[] configurations = ["Debug", "Release"];
#else
        string[] configurations = ["Release", "Debug"];
#endif
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Zvonim.sln"))) continue;
            foreach (var configuration in configurations)
            {
                var candidate = Path.Combine(dir.FullName, "Zvonim.Web", "bin", configuration, "net10.0", "Zvonim.Web.dll");
                if (File.Exists(candidate)) return candidate;
            }
        }
        var local = Path.Combine(AppContext.BaseDirectory, "Zvonim.Web.dll");
        return File.Exists(local) && File.Exists(Path.ChangeExtension(local, ".runtimeconfig.json")) ? local : null;
    }

    private static string DirectoryOf(string file) => Path.GetDirectoryName(Path.GetFullPath(file))!;

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
