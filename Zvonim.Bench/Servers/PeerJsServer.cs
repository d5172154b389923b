using System.Diagnostics;
using System.Text.Json;

namespace Zvonim.Bench.Servers;

/// <summary>
/// The PeerJS server (npm <c>peer</c>, what many compare Zvonim with) as a target: installed with npm into a cache
/// directory when missing, started under node on a free loopback port by a few lines of JS that call
/// <c>PeerServer</c> with the limits that would otherwise cut a bench run short lifted. Its protocol is in
/// <see cref="Load.PeerJsFrames"/>.
/// </summary>
public static class PeerJsServer
{
    /// <summary>The version measured (works on node ≥ 14). Its dependencies float within its ranges; the report
    /// names the ws that was installed.</summary>
    public const string Version = "1.0.2";

    private const string Launcher = "serve-peerjs.mjs";

    // concurrent_limit: 5 000 clients by default, and 1 000 pairs are already 2 000.
    // alive_timeout: a client that sent no HEARTBEAT for 60–90 s is closed; the generator sends none (a PeerJS
    // client's heartbeat is one small message each 5 s, nothing a relay figure needs).
    private const string LauncherSource = """
        // Written by zvonim-bench: the PeerJS server on 127.0.0.1:<port>, path "/", sockets at /peerjs.
        import { PeerServer } from "peer";
        const port = Number(process.argv[2]);
        PeerServer({
          host: "127.0.0.1",
          port,
          path: "/",
          key: "peerjs",
          concurrent_limit: 1_000_000_000,
          alive_timeout: 24 * 3600 * 1000,
        }, () => console.log(`peerjs listening on 127.0.0.1:${port}`));
        """;

    /// <summary>~/.cache/zvonim-bench/peerjs-VERSION (or under $XDG_CACHE_HOME).</summary>
    public static string DefaultDirectory
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "zvonim-bench", $"peerjs-{Version}");
        }
    }

    public static async Task<SpawnedServer> StartAsync(string? directory, int? core, TextWriter? progress, CancellationToken ct)
    {
        directory = Path.GetFullPath(directory ?? DefaultDirectory);
        await EnsureInstalledAsync(directory, progress, ct).ConfigureAwait(false);
        var launcher = Path.Combine(directory, Launcher);
        if (!File.Exists(launcher) || await File.ReadAllTextAsync(launcher, ct).ConfigureAwait(false) != LauncherSource)
            await File.WriteAllTextAsync(launcher, LauncherSource, ct).ConfigureAwait(false);
        var port = SpawnedServer.FreePort();
        var note = $"peer {InstalledVersion(directory, "peer")} (ws {InstalledVersion(directory, "ws")}) on node {await NodeVersionAsync(ct).ConfigureAwait(false)}";
        return await SpawnedServer.StartAsync("peerjs", "node", [launcher, port.ToString(System.Globalization.CultureInfo.InvariantCulture)], directory, port,
            [], core, progress, note).ConfigureAwait(false);
    }

    /// <summary>npm install peer@<see cref="Version"/> into <paramref name="directory"/> unless it is there.</summary>
    public static async Task EnsureInstalledAsync(string directory, TextWriter? progress, CancellationToken ct)
    {
        if (InstalledVersion(directory, "peer") == Version) return;
        Directory.CreateDirectory(directory);
        // A package.json of its own, so npm installs here rather than into whatever project lies above.
        var manifest = Path.Combine(directory, "package.json");
        if (!File.Exists(manifest))
            await File.WriteAllTextAsync(manifest, """{ "name": "zvonim-bench-peerjs", "private": true }""", ct).ConfigureAwait(false);
        progress?.WriteLine($"[peerjs] npm install peer@{Version} into {directory}");
        var (code, output) = await RunAsync("npm", ["install", "--no-audit", "--no-fund", "--omit=dev", "--save-exact", $"peer@{Version}"], directory,
            TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
        if (code != 0 || InstalledVersion(directory, "peer") != Version)
            throw new InvalidOperationException($"npm install peer@{Version} in {directory} failed ({code}):\n{output}");
    }

    private static string? InstalledVersion(string directory, string package)
    {
        var manifest = Path.Combine(directory, "node_modules", package, "package.json");
        if (!File.Exists(manifest)) return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(manifest));
            return json.RootElement.TryGetProperty("version", out var version) ? version.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    private static async Task<string> NodeVersionAsync(CancellationToken ct)
    {
        var (code, output) = await RunAsync("node", ["--version"], Environment.CurrentDirectory, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        return code == 0 ? output.Trim() : "unknown";
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] args, string directory, TimeSpan timeout, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"The peerjs target needs {program} on PATH (node and npm): {ex.Message}", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:N0} s.");
            }
            return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
    }
}
