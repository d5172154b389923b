using System.Text.Json;
using Zvonim.Bench.Cli;
using Zvonim.Bench.Servers;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Bench;

/// <summary>
/// <c>zvonim-bench relay --target zvonim,peerjs</c> at a tiny size through the command line: the bench installs the
/// PeerJS server (npm <c>peer</c>) when it is missing, starts it under node, drives it with the same generator as
/// Zvonim, and every message must arrive once, in order and as the PeerJS protocol says (its <c>src</c> added). No
/// speed is asserted. Needs node and npm on PATH (and the npm registry the first time), as CI has.
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class PeerJsBenchSmokeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zvonim-bench-peerjs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Relay_runs_against_the_peerjs_server_and_zvonim_is_given_as_its_ratio()
    {
        await using var server = new ZvonimServer();
        var json = Path.Combine(_dir, "relay.json");
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["relay", "--target", "zvonim,peerjs", "--url", server.BaseAddress.ToString(), "--calls", "2", "--duration", "1", "--warmup", "0.2",
            "--window", "4", "--rate", "400", "--json", json, "--quiet"];

        var code = await BenchCli.RunAsync(args, output, error);

        Assert.True(code == 0, $"zvonim-bench {string.Join(' ', args)} exited with {code}:\n{output}\n{error}");
        Assert.Contains("zvonim/peerjs", output.ToString());
        Assert.Contains($"peer {PeerJsServer.Version}", output.ToString()); // what was measured is named
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var report = document.RootElement;
        foreach (var scenario in new[] { "relay-closed", "relay-open" })
        {
            var runs = report.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("scenario").GetString() == scenario).ToList();
            Assert.Equal(["zvonim", "peerjs"], runs.Select(r => r.GetProperty("target").GetString()!).ToArray());
            foreach (var run in runs)
            {
                var integrity = run.GetProperty("integrity");
                Assert.True(integrity.GetProperty("received").GetInt64() > 0);
                Assert.Equal(integrity.GetProperty("sent").GetInt64(), integrity.GetProperty("received").GetInt64());
                foreach (var field in new[] { "lost", "reordered", "duplicated", "corrupted", "server_errors", "unexpected_closes", "failures" })
                    Assert.True(integrity.GetProperty(field).GetInt64() == 0, $"{scenario} {run.GetProperty("target")}: {field} = {integrity.GetProperty(field)}; {integrity.GetProperty("failure_samples")}");
            }
        }
        Assert.Contains(report.GetProperty("comparisons").EnumerateArray(),
            c => c.GetProperty("against").GetString() == "peerjs" && c.GetProperty("metric").GetString() == "msgs_per_s");
    }

    [Fact]
    public async Task Only_the_relay_scenario_takes_the_peerjs_target()
    {
        var error = new StringWriter();
        var code = await BenchCli.RunAsync(["setup", "--target", "peerjs", "--quiet"], new StringWriter(), error);
        Assert.Equal(BenchCli.CannotRun, code);
        Assert.Contains("relay", error.ToString());
    }
}
