using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Zvonim.Tests.Web;

/// <summary>
/// Debian's nginx in front of Zvonim nodes, started with the repository's own <c>deploy/nginx/zvonim.conf</c> (the one
/// the README documents: TLS, WebSockets, round-robin) with its upstream servers, ports and certificate pointed at
/// loopback ports and a certificate made here. It logs which node served each request, so a test can tell that the
/// requests really were spread. Killed on dispose.
/// </summary>
public sealed partial class Nginx : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private int _disposed;

    private readonly string _thumbprint;

    private Nginx(Process process, string directory, int port, string thumbprint)
    {
        _process = process;
        _directory = directory;
        _thumbprint = thumbprint;
        Port = port;
        BaseAddress = new Uri($"https://{HostName}:{port}/");
    }

    public int Port { get; }

    /// <summary>The site as browsers open it: https, by name.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client of the site that trusts the certificate made for it (and no other), by address.</summary>
    public HttpClient Http() => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == _thumbprint,
    })
    {
        BaseAddress = new Uri($"https://127.0.0.1:{Port}/"),
        Timeout = TimeSpan.FromSeconds(20),
    };

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

    /// <summary>The name browsers use for the proxy: mapped to 127.0.0.1 in Chromium (<see cref="Browser.ChromiumFixture"/>),
    /// and not loopback to the browser, so only https makes the page a secure context.</summary>
    public const string HostName = "zvonim.test";

    /// <summary>Round-robin over <paramref name="upstreamPorts"/> on 127.0.0.1, TLS with a certificate made here.</summary>
    public static async Task<Nginx> StartAsync(IEnumerable<int> upstreamPorts)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"nginx was not found at {ExecutablePath}. The proxy tests need Debian's nginx: apt-get install -y nginx " +
                "(test.sh does this), or set ZVONIM_NGINX to an nginx executable.");
        }
        var (port, redirectPort) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        // nginx's workers run as nobody when started as root: they must reach the folder.
        var directory = Directory.CreateTempSubdirectory("zvonim-nginx-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var (certificate, key) = (Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"));
        var thumbprint = MakeCertificate(certificate, key);
        File.WriteAllText(Path.Combine(directory, "zvonim.conf"), SiteFor(upstreamPorts, port, redirectPort, certificate, key));
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
        var nginx = new Nginx(process, directory, port, thumbprint);
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

    /// <summary>The repository's site configuration pointed at the given upstreams, ports and certificate.</summary>
    public static string SiteFor(IEnumerable<int> upstreamPorts, int port, int redirectPort, string certificate, string key)
    {
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "deploy", "nginx", "zvonim.conf"));
        var servers = string.Concat(upstreamPorts.Select(p => $"\n    server 127.0.0.1:{p};"));
        // The block's server lines give way to the test's; the rest of it (keepalive) stays as shipped.
        var site = UpstreamBlock().Replace(shipped, block => "upstream zvonim {" + servers +
            string.Concat(block.Value.Split('\n').Skip(1).Where(line => !line.TrimStart().StartsWith("server ", StringComparison.Ordinal))
                .Select(line => "\n" + line)), 1);
        foreach (var (shippedLine, ours) in new[]
        {
            ("listen 80;", $"listen 127.0.0.1:{redirectPort};"),
            ("listen 443 ssl;", $"listen 127.0.0.1:{port} ssl;"),
            ("ssl_certificate     /etc/ssl/zvonim/fullchain.pem;", $"ssl_certificate {certificate};"),
            ("ssl_certificate_key /etc/ssl/zvonim/privkey.pem;", $"ssl_certificate_key {key};"),
            // The shipped log, written where the test can read it, and beside it the test's own (which an access_log
            // in the server block would otherwise replace).
            ("access_log /var/log/nginx/zvonim.access.log zvonim;",
                $"access_log {Path.Combine(Path.GetDirectoryName(key)!, ShippedLogName)} zvonim;\n    access_log {Path.Combine(Path.GetDirectoryName(key)!, "access.log")} upstreams;"),
        })
        {
            if (!site.Contains(shippedLine, StringComparison.Ordinal))
                throw new InvalidOperationException($"deploy/nginx/zvonim.conf no longer has '{shippedLine}' for the test to point elsewhere");
            site = site.Replace(shippedLine, ours, StringComparison.Ordinal);
        }
        return site;
    }

    /// <summary>A self-signed certificate for <see cref="HostName"/> and 127.0.0.1, made with openssl; its SHA-1
    /// thumbprint.</summary>
    private static string MakeCertificate(string certificate, string key)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", key, "-out", certificate,
            "-subj", $"/CN={HostName}", "-addext", $"subjectAltName=DNS:{HostName},IP:127.0.0.1",
        })
        {
            start.ArgumentList.Add(arg);
        }
        using var openssl = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start.");
        var errors = openssl.StandardError.ReadToEnd();
        openssl.WaitForExit();
        if (openssl.ExitCode != 0) throw new InvalidOperationException($"openssl could not make a certificate: {errors}");
        var pem = File.ReadAllText(certificate);
        var fields = System.Security.Cryptography.PemEncoding.Find(pem);
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        using var made = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
        return made.Thumbprint;
    }

    private const string ShippedLogName = "zvonim-access.log";

    /// <summary>What nginx wrote so far in the shipped configuration's access log.</summary>
    public string ShippedAccessLog()
    {
        var log = Path.Combine(_directory, ShippedLogName);
        if (!File.Exists(log)) return "";
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
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

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await ExternalProcess.StopAsync(_process, _directory);
    }
}
