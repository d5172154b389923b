using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Zvonim.Tests.Web;

/// <summary>The real server process (Zvonim.Web.dll from the build output) with its own environment, its stdout and
/// stderr captured.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = []; // guarded by _stdout
    private readonly StringBuilder _stderr = new();

    public ServerProcess(IDictionary<string, string> environment, params string[] args) : this(environment, (int?)null, args)
    {
    }

    /// <param name="fileLimit">Runs the server under this open-file limit (soft and hard, with prlimit), as a
    /// service manager's LimitNOFILE would.</param>
    public ServerProcess(IDictionary<string, string> environment, int? fileLimit, params string[] args) : this(environment, fileLimit, [], args)
    {
    }

    /// <param name="wrapper">A command the server runs under, e.g. <c>ip netns exec NAME</c>.</param>
    public ServerProcess(IDictionary<string, string> environment, IReadOnlyList<string> wrapper, params string[] args) : this(environment, null, wrapper, args)
    {
    }

    private ServerProcess(IDictionary<string, string> environment, int? fileLimit, IReadOnlyList<string> wrapper, params string[] args)
    {
        var dll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo(wrapper.Count > 0 ? wrapper[0] : fileLimit is null ? "dotnet" : "prlimit")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in wrapper.Skip(1)) start.ArgumentList.Add(part);
        if (wrapper.Count > 0) start.ArgumentList.Add("dotnet");
        if (fileLimit is { } files)
        {
            start.ArgumentList.Add($"--nofile={files}:{files}");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Zvonim__", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Zvonim__Store__Path"] = ""; // no shared database between parallel servers, unless a test gives one
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => OnOutput(e.Data);
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) if (e.Data is not null) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The server's process id (wrappers such as taskset and prlimit exec the server in their own process).</summary>
    public int Pid => _process.Id;

    /// <summary>The server's resident memory now, from /proc (prlimit execs the server in its own process).</summary>
    public long RssBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The exit code, or null if the process is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null) return;
        lock (_stdout)
        {
            _stdout.AppendLine(line);
            foreach (var waiter in _awaited.Where(w => line.Contains(w.Text, StringComparison.Ordinal))) waiter.Seen.TrySetResult();
            _awaited.RemoveAll(w => w.Seen.Task.IsCompleted);
        }
    }

    /// <summary>Completes when a line of the server's standard output contains <paramref name="text"/> (or already
    /// did); fails after <paramref name="timeout"/> with what the server printed.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stdout)
        {
            if (_stdout.ToString().Contains(text, StringComparison.Ordinal)) return;
            _awaited.Add((text, seen));
        }
        await SeenAsync(seen, text, timeout);
    }

    /// <summary>Waits for a line with <paramref name="text"/> printed after this call: lines already printed do not
    /// count (the wait is registered before the method returns its task).</summary>
    public Task WaitForNewOutputAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stdout) _awaited.Add((text, seen));
        return SeenAsync(seen, text, timeout);
    }

    private async Task SeenAsync(TaskCompletionSource seen, string text, TimeSpan timeout)
    {
        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"no output line with '{text}' within {timeout}: {Stdout}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash or a lost machine would.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Stops (SIGSTOP) or resumes (SIGCONT) the server, as a long pause or a frozen machine would.</summary>
    public void Freeze(bool frozen = true)
    {
        using var kill = Process.Start("kill", [frozen ? "-STOP" : "-CONT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Asks the server to stop as a service manager would (SIGTERM).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits until the server answers HTTP on <paramref name="port"/>.</summary>
    public async Task WaitUntilListeningAsync(int port, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (HasExited) throw new Xunit.Sdk.XunitException($"the server exited: {Stderr}");
            if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"nothing listened on {port} within {timeout}: {Stdout} {Stderr}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/api/turn-config");
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100); // not listening yet, or too busy starting to answer in time
            }
        }
    }

    /// <summary>Ports handed to servers the tests start later: below Linux's ephemeral range (32768-60999), so no
    /// outgoing connection of the machine's (a test's client, a browser) can take one between this check and the
    /// server's bind, as the kernel's own "free port" (bind to 0) could.</summary>
    private const int FirstPort = 20000, EndPort = 32768;

    /// <summary>A server on a free loopback port, once it listens, and a client for it.</summary>
    public static async Task<(ServerProcess Server, HttpClient Http, int Port)> StartAsync(IDictionary<string, string> settings)
    {
        var port = FreePort();
        var server = new ServerProcess(settings, "--urls", $"http://127.0.0.1:{port}");
        await server.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30));
        return (server, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) }, port);
    }

    /// <summary>A TCP port free on loopback now, for a server started afterwards.</summary>
    public static int FreePort() => FindFree(port =>
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        listener.Stop();
    });

    /// <summary>A UDP port free on loopback now (for a node's media forwarder).</summary>
    public static int FreeUdpPort() => FindFree(port =>
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
    });

    // Every port handed out, TCP or UDP, never handed out again in this run: two tests that drew the same free port
    // would otherwise both start a server on it, and the second would fail to bind.
    private static readonly HashSet<int> HandedOut = [];

    private static int FindFree(Action<int> bind)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(FirstPort, EndPort);
            lock (HandedOut)
                if (!HandedOut.Add(port)) continue;
            try
            {
                bind(port);
                return port;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100)
            {
                // taken: another
            }
        }
    }
}
