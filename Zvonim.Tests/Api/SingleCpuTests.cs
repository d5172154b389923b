using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Zvonim.Tests.Cluster;
using Zvonim.Tests.Contracts;
using Zvonim.Tests.Web;
using Zvonim.Web.Hosting;

namespace Zvonim.Tests.Api;

/// <summary>A node given one CPU (a one-CPU VM or container; here a process under <c>taskset</c>) runs with the
/// defaults that only cost it changed, and still sets up calls.</summary>
public sealed class SingleCpuTests
{
    [Fact]
    public async Task A_node_on_one_cpu_says_so_at_start_and_relays_a_call()
    {
        var (server, port) = await StartOnAsync(1, "1 CPU(s): thread pool spin limit 0, Kestrel IO queues 0 (0: socket work on the pool directly), scheduling batch");
        await using var running = server;

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        var call = await ApiKit.CreateAsync(http);
        var peerB = await ApiKit.JoinAsync(http, call.CallId);
        Uri Socket(string peer) => new($"ws://127.0.0.1:{port}/apiv2/ws?call_id={call.CallId}&peer_id={peer}");
        await using var a = await WsClient.ConnectAsync(Socket(call.PeerId), "a");
        await a.ExpectStateAsync();
        await using var b = await WsClient.ConnectAsync(Socket(peerB), "b");
        await b.ExpectStateAsync("active");
        await ApiKit.AssertRelayAsync(a, b);
        await ApiKit.AssertRelayAsync(b, a);

        // A group call's offer starts the media forwarder, whose packet thread stays under the normal policy.
        Uri On(string path) => new($"ws://127.0.0.1:{port}{path}");
        var anna = await SignedInUser.RegisterAsync(http, On, "anna");
        var boris = await SignedInUser.RegisterAsync(http, On, "boris");
        var group = await anna.CreateGroupAsync("one cpu", boris);
        await using var groupCall = await ChatCallMediaClient.JoinAsync(On($"/api/v1/group/{group}/call"), anna, group, "anna-1");
        await groupCall.OfferAsync();

        // The packet thread puts itself back under the normal policy as it starts; threads made after the start (the
        // socket engine's, the pool's workers) inherit the batch policy, and any that a normal thread made are moved
        // within a resweep.
        await EventuallyAsync(server.Pid, threads =>
            threads.Any(t => t is { Name: "zvonim-media", Policy: BatchScheduling.Normal })
            && threads.Any(t => t.Name == ".NET Sockets") && threads.Any(t => t.Name == ".NET TP Worker")
            && threads.All(t => t.Name == "zvonim-media" || t.Policy == BatchScheduling.Batch));

        // A worker put back under the normal policy from outside (as a thread made by the packet thread would be)
        // is moved again.
        var worker = Threads(server.Pid).First(t => t.Name == ".NET TP Worker");
        // Seen normal first, so that the move below is the server's doing; a resweep may fall between chrt and the
        // read (a few milliseconds in 2 s), so chrt again then rather than fail.
        var seenNormal = false;
        for (var attempt = 0; attempt < 5 && !seenNormal; attempt++)
        {
            await Command.RunAsync("chrt", "--other", "-p", "0", worker.Tid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            seenNormal = Threads(server.Pid).Any(t => t.Tid == worker.Tid && t.Policy == BatchScheduling.Normal);
        }
        Assert.True(seenNormal, "chrt did not put the worker under the normal policy");
        await EventuallyAsync(server.Pid, threads => threads.Any(t => t.Tid == worker.Tid && t.Policy == BatchScheduling.Batch));
    }

    /// <summary>Polls the threads of process <paramref name="pid"/> until <paramref name="holds"/> (a resweep is 2 s,
    /// well within the patience); a failure shows them as they were last.</summary>
    private static Task EventuallyAsync(int pid, Func<ServerThreads, bool> holds) =>
        HttpKit.EventuallyAsync(() => Task.FromResult(Threads(pid)), holds, "the threads' scheduling policies");

    [Fact]
    public async Task A_node_with_two_cpus_keeps_the_defaults()
    {
        var (server, _) = await StartOnAsync(2, "2 CPU(s): thread pool spin limit 70, Kestrel IO queues 2 (0: socket work on the pool directly), scheduling normal");
        await using var running = server;
        Assert.All(Threads(server.Pid), t => Assert.True(t.Policy == BatchScheduling.Normal, $"thread '{t.Name}' runs under policy {t.Policy}"));
    }

    /// <summary>Each thread of process <paramref name="pid"/>: its id, its name and the scheduling policy the kernel runs it
    /// under (field 41 of <c>/proc/pid/task/tid/stat</c>; the name, field 2, may hold spaces).</summary>
    private static ServerThreads Threads(int pid)
    {
        var threads = new ServerThreads();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended since the listing
            }
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            threads.Add((int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture), stat[(stat.IndexOf('(') + 1)..close],
                int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return threads;
    }

    /// <summary>The real server under <c>taskset</c> on the first <paramref name="cpus"/> CPUs this process may use,
    /// once it listens and has logged <paramref name="line"/>.</summary>
    private static async Task<(ServerProcess Server, int Port)> StartOnAsync(int cpus, string line)
    {
        var allowed = AllowedCpus();
        Assert.True(allowed.Count >= cpus, $"this test needs {cpus} CPUs to run the server on; this process may use {allowed.Count}");
        var port = ServerProcess.FreePort();
        var server = new ServerProcess(new Dictionary<string, string>(), ["taskset", "-c", string.Join(',', allowed.Take(cpus))],
            "--urls", $"http://127.0.0.1:{port}");
        try
        {
            await server.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(60));
            await server.WaitForOutputAsync(line, TimeSpan.FromSeconds(10));
            return (server, port);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The CPUs this process may run on (<c>Cpus_allowed_list</c>, e.g. "0-3,6").</summary>
    private static List<int> AllowedCpus()
    {
        var list = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();
        var cpus = new List<int>();
        foreach (var range in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = range.Split('-').Select(int.Parse).ToArray();
            for (var cpu = ends[0]; cpu <= ends[^1]; cpu++) cpus.Add(cpu);
        }
        return cpus;
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, -1)]
    [InlineData(8, -1)]
    public void Kestrel_runs_socket_work_on_the_pool_directly_only_with_one_cpu(int cpus, int expected)
    {
        var sockets = new SocketTransportOptions();
        var before = sockets.IOQueueCount;
        SingleCpuTuning.Configure(sockets, cpus);
        Assert.Equal(expected < 0 ? before : expected, sockets.IOQueueCount);
    }

    /// <summary>A process's threads, listed by name, id and policy when a check on them fails.</summary>
    private sealed class ServerThreads : List<(int Tid, string Name, int Policy)>
    {
        public override string ToString() => string.Join(", ", this.Select(t => $"{t.Name} ({t.Tid}): {t.Policy}"));
    }
}
