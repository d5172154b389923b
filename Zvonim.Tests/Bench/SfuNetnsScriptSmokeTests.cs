using System.Diagnostics;
using System.Text.Json;
using Zvonim.Bench.Cli;

namespace Zvonim.Tests.Bench;

/// <summary>
/// <c>Zvonim.Bench/scripts/sfu-netns.sh</c> at a tiny size, as CI runs it (root): the forwarder bench in a network
/// namespace of its own whose loopback steers receive work to the reader's core, with idle cores kept awake. The run
/// must say so in its figures (the steering mask, the kernel's arrival stamps, the wake-up limit), forward to every
/// subscriber intact, and leave the machine as it found it: its own loopback unsteered, the flow table's size back.
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class SfuNetnsScriptSmokeTests : IDisposable
{
    private const string FlowTable = "/proc/sys/net/core/rps_sock_flow_entries";
    private const string LoopbackSteering = "/sys/class/net/lo/queues/rx-0/rps_cpus";
    private readonly string _dir = Directory.CreateTempSubdirectory("zvonim-bench-netns-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_namespaced_forwarder_bench_steers_its_own_loopback_and_puts_the_machine_back()
    {
        var root = RepoRoot();
        var json = Path.Combine(_dir, "sfu.json");
        var flowsBefore = await File.ReadAllTextAsync(FlowTable);
        var steeringBefore = await File.ReadAllTextAsync(LoopbackSteering);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(root, "Zvonim.Bench", "scripts", "sfu-netns.sh"), "--subscribers", "2", "--rate", "500", "--duration", "1",
                     "--warmup", "0.2", "--baseline", "0.5", "--json", json, "--quiet",
                 })
            start.ArgumentList.Add(arg);
        start.Environment["AWAKE"] = "1";
        start.Environment["DLL"] = Path.Combine(AppContext.BaseDirectory, "Zvonim.Bench.dll");

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true); // SIGKILL: its trap does not run, so the table is put back here
            await File.WriteAllTextAsync(FlowTable, flowsBefore);
            throw;
        }

        // 3: an integrity failure, which loss alone makes (loopback UDP may drop on a busy machine); what may not
        // happen is checked below.
        Assert.True(process.ExitCode is 0 or BenchCli.IntegrityFailed, $"sfu-netns.sh exited with {process.ExitCode}:\n{await output}\n{await error}");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var runs = document.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var metrics = runs.Single(r => r.GetProperty("target").GetString() == "zvonim").GetProperty("metrics");
        Assert.Equal(3, Metric(metrics, "loopback_rps_cpus"));
        Assert.Equal(1, Metric(metrics, "kernel_arrival_stamps"));
        Assert.Equal(0, Metric(metrics, "cpu_wakeup_limit_us"));
        Assert.True(Metric(metrics, "min_received_per_subscriber") > 0, "every subscriber received packets");
        foreach (var run in runs)
        {
            var integrity = run.GetProperty("integrity");
            foreach (var field in new[] { "reordered", "duplicated", "corrupted", "failures" })
                Assert.True(integrity.GetProperty(field).GetInt64() == 0, $"{run.GetProperty("target")}: {field} = {integrity.GetProperty(field)}");
        }

        Assert.Equal(flowsBefore, await File.ReadAllTextAsync(FlowTable));
        Assert.Equal(steeringBefore, await File.ReadAllTextAsync(LoopbackSteering));
    }

    private static double Metric(JsonElement metrics, string name)
    {
        Assert.True(metrics.TryGetProperty(name, out var metric), $"{name} is reported");
        return metric.GetDouble();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Zvonim.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Zvonim.sln not found above the test's directory");
    }
}
