using System.Text.Json;
using Zvonim.Bench.Cli;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Bench;

/// <summary>
/// Each zvonim-bench scenario at tiny sizes, against a real Zvonim on loopback and the built-in bare relay, through
/// the command line as a person runs it: the tool must finish, account for every message, and write JSON that
/// parses. No test here asserts a speed. They run alone: the in-process footprint reads the whole process's heap,
/// which other tests running alongside would disturb.
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class BenchSmokeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zvonim-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Setup_runs_against_zvonim_and_the_bare_relay()
    {
        await using var server = new ZvonimServer();
        // Long enough for a few setups even when the machine is busy with other tests.
        var report = await RunAsync("setup", server, "--calls", "2", "--duration", "3", "--warmup", "0");
        foreach (var run in Runs(report, "setup", "zvonim", "bare"))
        {
            Assert.True(run.GetProperty("metrics").GetProperty("setups").GetDouble() > 0);
            AssertClean(run);
        }
        Assert.Contains(Comparisons(report), c => c == "setups_per_s");
    }

    [Fact]
    public async Task Setup_versus_drives_two_spawned_servers_in_turns_and_compares_them()
    {
        var dll = Zvonim.Bench.Servers.SpawnedServer.FindZvonimDll();
        Assert.NotNull(dll);
        var json = Path.Combine(_dir, "versus.json");
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["setup", "--target", "zvonim", "--spawn", "--versus", dll, "--versus-env", "Zvonim__Store__WriteDelay=00:00:00", "--slice", "0.5",
            "--calls", "2", "--duration", "3", "--warmup", "0", "--json", json, "--quiet"];
        var code = await BenchCli.RunAsync(args, output, error);
        Assert.True(code == 0, $"zvonim-bench {string.Join(' ', args)} exited with {code}:\n{output}\n{error}");
        Assert.Contains("zvonim/versus", output.ToString());
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var report = document.RootElement;
        foreach (var run in Runs(report, "setup", "zvonim", "versus"))
        {
            var metrics = run.GetProperty("metrics");
            var setups = metrics.GetProperty("setups").GetDouble();
            Assert.True(setups > 0);
            Assert.True(metrics.GetProperty("server_cpu_ms_per_setup").GetDouble() > 0);
            // Only the few that began as their turn was closing: both servers driven at once would put half out of turn.
            var outOfTurn = metrics.GetProperty("setups_begun_out_of_turn").GetDouble();
            Assert.True(outOfTurn < setups / 10, $"{outOfTurn} of {setups} setups began in the other server's turn");
            AssertClean(run);
        }
        Assert.Contains(Comparisons(report), c => c == "server_cpu_ms_per_setup");
        Assert.Equal("Zvonim__Store__WriteDelay=00:00:00", report.GetProperty("parameters").GetProperty("versus_env")[0].GetString());
    }

    [Theory]
    [InlineData("--slice", "2", "--duration", "3", "--duration must hold a turn of each server")]
    [InlineData("--slice", "0", "--duration", "3", "--slice: a number of seconds above 0")]
    public async Task Setup_versus_refuses_turns_that_do_not_fit(string sliceOption, string slice, string durationOption, string duration, string expected)
    {
        var dll = Zvonim.Bench.Servers.SpawnedServer.FindZvonimDll()!;
        var error = new StringWriter();
        var code = await BenchCli.RunAsync(["setup", "--target", "zvonim", "--spawn", "--versus", dll, sliceOption, slice, durationOption, duration, "--quiet"],
            new StringWriter(), error);
        Assert.Equal(BenchCli.CannotRun, code);
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public async Task Setup_refuses_settings_for_a_versus_server_it_was_not_given()
    {
        var error = new StringWriter();
        var code = await BenchCli.RunAsync(["setup", "--target", "zvonim", "--spawn", "--versus-env", "A=B", "--quiet"], new StringWriter(), error);
        Assert.Equal(BenchCli.CannotRun, code);
        Assert.Contains("--versus-env", error.ToString());
    }

    [Fact]
    public async Task Relay_runs_closed_and_open_loop_against_zvonim_and_the_bare_relay()
    {
        await using var server = new ZvonimServer();
        var report = await RunAsync("relay", server, "--calls", "2", "--duration", "1", "--warmup", "0.2", "--window", "4", "--rate", "400");
        foreach (var scenario in new[] { "relay-closed", "relay-open" })
        {
            foreach (var run in Runs(report, scenario, "zvonim", "bare"))
            {
                var integrity = run.GetProperty("integrity");
                Assert.True(integrity.GetProperty("received").GetInt64() > 0);
                Assert.Equal(integrity.GetProperty("sent").GetInt64(), integrity.GetProperty("received").GetInt64());
                Assert.True(run.GetProperty("metrics").TryGetProperty("latency_p99_ms", out _));
                AssertClean(run);
            }
        }
        Assert.Contains(Comparisons(report), c => c == "msgs_per_s");
    }

    [Fact]
    public async Task Idle_holds_calls_and_reads_the_server_memory()
    {
        await using var server = new ZvonimServer();
        var report = await RunAsync("idle", server, "--calls", "3", "--duration", "1", "--server-pid", Environment.ProcessId.ToString());
        foreach (var run in Runs(report, "idle", "zvonim", "bare"))
        {
            var metrics = run.GetProperty("metrics");
            Assert.Equal(6, metrics.GetProperty("sockets").GetDouble());
            Assert.True(metrics.TryGetProperty("kb_per_socket", out _), "memory per socket is reported");
            Assert.True(run.GetProperty("memory_samples").GetArrayLength() > 0);
            // The final message each way on every call arrived.
            Assert.Equal(6, run.GetProperty("integrity").GetProperty("received").GetInt64());
            AssertClean(run);
        }
    }

    private sealed class MarkedAllocation(int index)
    {
        public readonly long Value = index;
    }

    [Fact]
    public async Task Allocations_names_what_a_process_allocates()
    {
        using var stop = new CancellationTokenSource();
        var kept = 0L;
        var allocating = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++) kept += new MarkedAllocation(i).Value & 1;
        });
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await BenchCli.RunAsync(["allocations", "--pid", Environment.ProcessId.ToString(), "--seconds", "2"], output, error);
        await stop.CancelAsync();
        await allocating;

        Assert.True(code == 0, $"zvonim-bench allocations exited with {code}:\n{output}\n{error}");
        Assert.Contains(nameof(MarkedAllocation), output.ToString());
        Assert.DoesNotMatch("gen0 0, gen1 0, gen2 0", output.ToString()); // a loop that allocates this fast collects within two seconds
    }

    [Fact]
    public async Task Allocations_refuses_a_pid_with_no_dotnet_process()
    {
        var error = new StringWriter();
        var code = await BenchCli.RunAsync(["allocations", "--pid", int.MaxValue.ToString(), "--seconds", "1"], new StringWriter(), error);
        Assert.Equal(2, code);
        Assert.Contains("no .NET process", error.ToString());
    }

    [Fact]
    public async Task Micro_quick_measures_every_relay_path()
    {
        var json = Path.Combine(_dir, "micro.json");
        var output = new StringWriter();
        var code = await BenchCli.RunAsync(["micro", "--quick", "--messages", "2000", "--json", json], output, new StringWriter());
        Assert.Equal(0, code);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var names = report.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("scenario").GetString()).ToList();
        Assert.Contains(names, n => n!.Contains("Decode"));
        Assert.Contains(names, n => n!.Contains("bare"));
        Assert.Contains(names, n => n!.Contains("SocketConnection"));
        var metrics = report.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("metrics")).ToList();
        Assert.All(metrics.Where(m => m.TryGetProperty("ns_per_msg", out _)), m => Assert.True(m.TryGetProperty("bytes_per_msg", out _)));
        // The footprint is measured from the heap's size before and after; in this test process other tests allocate and
        // free meanwhile, so only its presence is checked here (the bench runs it in a process of its own).
        Assert.Contains(metrics, m => m.TryGetProperty("bytes_per_peer", out _));
        Assert.Contains("bytes_per_msg", output.ToString());
    }

    [Fact]
    public async Task Refuses_any_server_that_is_not_on_loopback()
    {
        var error = new StringWriter();
        var code = await BenchCli.RunAsync(["relay", "--target", "zvonim", "--url", "http://example.invalid:5080", "--quiet"], new StringWriter(), error);
        Assert.Equal(BenchCli.CannotRun, code);
        Assert.Contains("loopback", error.ToString());
    }

    private async Task<JsonElement> RunAsync(string scenario, ZvonimServer server, params string[] options)
    {
        var json = Path.Combine(_dir, scenario + ".json");
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = [scenario, "--target", "both", "--url", server.BaseAddress.ToString(), "--json", json, "--quiet", .. options];
        var code = await BenchCli.RunAsync(args, output, error);
        Assert.True(code == 0, $"zvonim-bench {string.Join(' ', args)} exited with {code}:\n{output}\n{error}");
        Assert.Contains("zvonim/bare", output.ToString()); // the results table
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        return document.RootElement.Clone();
    }

    private static IEnumerable<JsonElement> Runs(JsonElement report, string scenario, params string[] targets)
    {
        var runs = report.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("scenario").GetString() == scenario).ToList();
        Assert.Equal(targets, runs.Select(r => r.GetProperty("target").GetString()!).ToArray());
        return runs;
    }

    private static IEnumerable<string?> Comparisons(JsonElement report) =>
        report.GetProperty("comparisons").EnumerateArray().Select(c => c.GetProperty("metric").GetString());

    private static void AssertClean(JsonElement run)
    {
        var integrity = run.GetProperty("integrity");
        foreach (var field in new[] { "lost", "reordered", "duplicated", "corrupted", "server_errors", "unexpected_closes", "failures" })
            Assert.True(integrity.GetProperty(field).GetInt64() == 0, $"{run.GetProperty("scenario")} {run.GetProperty("target")}: {field} = {integrity.GetProperty(field)}; {integrity.GetProperty("failure_samples")}");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchCollection
{
    public const string Name = "bench";
}
