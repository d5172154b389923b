using System.Text.Json;
using Zvonim.Bench.Cli;

namespace Zvonim.Tests.Bench;

/// <summary>
/// <c>zvonim-bench sfu</c> at a tiny size through the command line: the media forwarder in process, one publisher and
/// two subscribers of our own load client (ICE, DTLS, SRTP over UDP on loopback). It must finish, every subscriber
/// must receive packets, nothing may arrive twice, out of order or altered, and the JSON must carry the figures. No
/// speed is asserted (and loss is not failed on: on a busy machine loopback UDP may drop).
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class SfuBenchSmokeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zvonim-bench-sfu-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Sfu_forwards_one_publisher_to_every_subscriber_and_reports_the_figures()
    {
        var json = Path.Combine(_dir, "sfu.json");
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["sfu", "--subscribers", "2", "--rate", "500", "--duration", "1", "--warmup", "0.2", "--baseline", "0.5", "--floor", "--json", json, "--quiet"];

        var code = await BenchCli.RunAsync(args, output, error);

        Assert.True(code is 0 or BenchCli.IntegrityFailed, $"zvonim-bench {string.Join(' ', args)} exited with {code}:\n{output}\n{error}");
        Assert.Contains("zvonim/bare", output.ToString());
        Assert.Contains("zvonim/floor", output.ToString());
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var runs = document.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["bare", "floor", "zvonim"], runs.Select(r => r.GetProperty("target").GetString()!).ToArray());
        Assert.All(runs, run => Assert.Equal("sfu", run.GetProperty("scenario").GetString()));

        // The floor passed every packet on to both subscribers, as they came.
        var floor = runs[1].GetProperty("metrics");
        Assert.True(floor.GetProperty("forwarded_per_s").GetDouble() > 0);
        Assert.True(floor.GetProperty("min_received_per_subscriber").GetDouble() > 0, "every subscriber received packets through the floor");

        var forwarder = runs[2];
        var metrics = forwarder.GetProperty("metrics");
        foreach (var metric in new[]
                 {
                     "forwarded_per_s", "received_per_s", "latency_p50_ms", "latency_p99_ms", "latency_max_ms", "loss_pct",
                     "added_latency_p50_ms", "added_latency_p99_ms", "min_received_per_subscriber",
                 })
            Assert.True(metrics.TryGetProperty(metric, out _), $"{metric} is reported");
        // The packet thread's CPU is read from /proc (Linux); elsewhere the process's is reported instead.
        Assert.True(metrics.TryGetProperty("forwarded_per_core_s", out _) || metrics.TryGetProperty("process_cpu_cores", out _));
        Assert.Equal(2, metrics.GetProperty("subscribers").GetDouble());
        Assert.True(metrics.GetProperty("min_received_per_subscriber").GetDouble() > 0, "every subscriber received packets");
        Assert.True(metrics.GetProperty("forwarded_per_s").GetDouble() > 0);

        foreach (var run in runs)
        {
            var integrity = run.GetProperty("integrity");
            Assert.True(integrity.GetProperty("received").GetInt64() > 0);
            foreach (var field in new[] { "reordered", "duplicated", "corrupted", "failures" })
                Assert.True(integrity.GetProperty(field).GetInt64() == 0,
                    $"{run.GetProperty("target")}: {field} = {integrity.GetProperty(field)}; {integrity.GetProperty("failure_samples")}");
        }
    }
}
