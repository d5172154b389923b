using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Zvonim.Tests.Web;

/// <summary>
/// Debian's nginx in front of Zvonim nodes, started with the repository's own <c>deploy/nginx/zvonim.conf</c> (the one
/// the README documents) with its upstream list and listen line pointed at loopback ports. It logs which node served
/// each request, so a test can tell that the requests really were spread. Killed on dispose.
/// </summary>
public sealed partial class Nginx : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private int _disposed;

    private Nginx(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseAddress { get; }

    public static string ExecutablePath => Environment.GetEnvironmentVariable("ZVONIM_NGINX") is { Length: > 0 } path
        ? path
        : "/usr/sbin/nginx";

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Round-robin over <paramref name="upstreamPorts"/> on 127.0.0.1.</summary>
    public static async Task<Nginx> StartAsync(IEnumerable<int> upstreamPorts)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"nginx was not found at {ExecutablePath}. The proxy tests need Debian's nginx: apt-get install -y nginx " +
                "(test.sh does this), or set ZVONIM_NGINX to an nginx executable.");
        }
        var port = ServerProcess.FreePort();
        // nginx's workers run as nobody when started as root: they must reach the folder.
        var directory = Directory.CreateTempSubdirectory("zvonim-nginx-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var site = SiteFor(upstreamPorts, port);
        File.WriteAllText(Path.Combine(directory, "zvonim.conf"), site);
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log stderr warn;
            events { worker_connections 1024; }
            http {
                log_format upstreams '$request_method $uri $status $upstream_addr';
                access_log {{directory}}/access.log upstreams;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/zvonim.conf;
            }
            """);
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-e", "stderr" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        var nginx = new Nginx(process, directory, port);
        process.OutputDataReceived += (_, e) => nginx.Append(e.Data);
        process.ErrorDataReceived += (_, e) => nginx.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await nginx.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(15));
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }
        return nginx;
    }

    /// <summary>The repository's site configuration with the given upstreams and listen address.</summary>
    public static string SiteFor(IEnumerable<int> upstreamPorts, int port)
    {
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "deploy", "nginx", "zvonim.conf"));
        var servers = string.Concat(upstreamPorts.Select(p => $"\n    server 127.0.0.1:{p};"));
        // The block's server lines give way to the test's; the rest of it (keepalive) stays as shipped.
        var site = UpstreamBlock().Replace(shipped, block => "upstream zvonim {" + servers +
            string.Concat(block.Value.Split('\n').Skip(1).Where(line => !line.TrimStart().StartsWith("server ", StringComparison.Ordinal))
                .Select(line => "\n" + line)), 1);
        site = ListenLine().Replace(site, $"listen 127.0.0.1:{port};", 1);
        if (site == shipped) throw new InvalidOperationException("deploy/nginx/zvonim.conf has no upstream block or listen line to point at the test's ports");
        return site;
    }

    /// <summary>The node (upstream address) that served each request so far, in order; a WebSocket is logged when it
    /// closes.</summary>
    public IReadOnlyList<(string Request, string Upstream)> Served()
    {
        var log = Path.Combine(_directory, "access.log");
        if (!File.Exists(log)) return [];
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var served = new List<(string, string)>();
        while (reader.ReadLine() is { } line)
        {
            var fields = line.Split(' ');
            if (fields.Length >= 4) served.Add(($"{fields[0]} {fields[1]} {fields[2]}", fields[3]));
        }
        return served;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitUntilListeningAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"nginx exited with code {_process.ExitCode}:\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50); // not listening yet; nginx has no readiness signal
            }
        }
        throw new TimeoutException($"nginx did not listen on 127.0.0.1:{port} within {timeout}:\n{Output}");
    }

    [GeneratedRegex(@"^upstream zvonim \{[^}]*\}", RegexOptions.Multiline)]
    private static partial Regex UpstreamBlock();

    [GeneratedRegex(@"(?<=^ *)listen [^;\n]+;", RegexOptions.Multiline)]
    private static partial Regex ListenLine();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // already gone
        }
        _process.Dispose();
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
