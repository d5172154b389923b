using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>
/// Debian's coturn (<c>turnserver</c>) on 127.0.0.1 and a free port, with the REST-API shared secret
/// (use-auth-secret), no config file, no TLS and no CLI. Relaying to loopback peers is allowed, since both browsers
/// of a test live on this machine. Killed on dispose.
/// </summary>
public sealed class Coturn : IAsyncDisposable
{
    public const string Realm = "zvonim";

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _directory;
    private int _disposed;

    private Coturn(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>The URL for Zvonim:Turn:TurnUrls.</summary>
    public string UdpUrl => $"turn:127.0.0.1:{Port}?transport=udp";

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    public static string ExecutablePath => Environment.GetEnvironmentVariable("ZVONIM_TURNSERVER") is { Length: > 0 } path
        ? path
        : "/usr/bin/turnserver";

    /// <param name="port">A port to listen on, e.g. the one of an earlier instance; a free one when null.</param>
    public static async Task<Coturn> StartAsync(string secret, int? port = null)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"coturn was not found at {ExecutablePath}. The TURN test needs Debian's coturn: apt-get install -y coturn " +
                "(.ci/run does this), or set ZVONIM_TURNSERVER to a turnserver executable.");
        }
        var listenPort = port ?? FreeUdpAndTcpPort();
        var directory = Directory.CreateTempSubdirectory("zvonim-coturn-").FullName;
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-n", // no config file: everything is here
            "--listening-ip=127.0.0.1", $"--listening-port={listenPort}",
            "--relay-ip=127.0.0.1", "--min-port=40000", "--max-port=40999",
            "--use-auth-secret", $"--static-auth-secret={secret}", $"--realm={Realm}",
            "--allow-loopback-peers", // both peers are on this machine
            "--no-cli", "--no-tls", "--no-dtls", "--no-tcp-relay", "--no-multicast-peers", "--fingerprint",
            $"--pidfile={Path.Combine(directory, "turnserver.pid")}",
            $"--userdb={Path.Combine(directory, "turndb")}",
            "--log-file=stdout", "--simple-log", "--verbose",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("turnserver did not start.");
        var coturn = new Coturn(process, listenPort, directory);
        process.OutputDataReceived += (_, e) => coturn.Append(e.Data);
        process.ErrorDataReceived += (_, e) => coturn.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await coturn.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(15));
        }
        catch
        {
            await coturn.DisposeAsync();
            throw;
        }
        return coturn;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Ready when it answers a STUN binding request on its port.</summary>
    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var request = new byte[20];
        request[1] = 0x01; // Binding Request
        request[4] = 0x21; request[5] = 0x12; request[6] = 0xA4; request[7] = 0x42; // magic cookie
        Random.Shared.NextBytes(request.AsSpan(8, 12));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"turnserver exited with code {_process.ExitCode}:\n{Log}");
            await udp.SendAsync(request, new IPEndPoint(IPAddress.Loopback, Port));
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                var answer = await udp.ReceiveAsync(wait.Token);
                if (answer.Buffer.Length >= 20 && answer.Buffer[0] == 0x01 && answer.Buffer[1] == 0x01) return;
            }
            catch (OperationCanceledException)
            {
                // not listening yet
            }
            catch (SocketException)
            {
                await Task.Delay(100); // port unreachable: not listening yet
            }
        }
        throw new TimeoutException($"turnserver did not answer STUN on 127.0.0.1:{Port} within {timeout}:\n{Log}");
    }

    /// <summary>A port free for both UDP and TCP on loopback right now.</summary>
    private static int FreeUdpAndTcpPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            try
            {
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken for TCP: try another
            }
        }
        throw new InvalidOperationException("No free loopback port for turnserver.");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await ExternalProcess.StopAsync(_process, _directory);
    }
}
