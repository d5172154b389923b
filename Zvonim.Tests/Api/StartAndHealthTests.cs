using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>What an operator and a load balancer see: health, readiness, and a start that goes wrong.</summary>
public sealed class StartAndHealthTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_is_alive_and_ready()
    {
        await using var server = Server();
        using var http = server.Client();
        Assert.Equal("alive", (string?)(await OkAsync(await http.GetAsync("/healthz")))["status"]);
        Assert.Equal("ready", (string?)(await OkAsync(await http.GetAsync("/readyz")))["status"]);
    }

    [Fact]
    public async Task A_cluster_node_that_has_not_joined_is_alive_but_not_ready_so_a_load_balancer_sends_nobody_there()
    {
        var (port, remoting, nobody) = (ServerProcess.FreePort(), ServerProcess.FreePort(), ServerProcess.FreePort());
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["Zvonim__Cluster__Enabled"] = "true",
            ["Zvonim__Accounts__SigningKey"] = Cluster.ThreeNodes.SigningKey,
            ["Zvonim__Cluster__Port"] = remoting.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Zvonim__Cluster__SeedNodes__0"] = $"127.0.0.1:{nobody}", // a seed that is not there: it cannot join
        }, "--urls", $"http://127.0.0.1:{port}");
        await server.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("alive", (string?)(await OkAsync(await http.GetAsync("/healthz")))["status"]);
        var body = await AssertErrorAsync(await http.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable, "not_ready");
        Assert.Contains("not an Up member of the cluster", (string?)body["message"]);
    }

    [Fact]
    public async Task A_port_already_taken_is_one_line_naming_the_address_and_exit_code_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var server = new ServerProcess(new Dictionary<string, string>(), "--urls", $"http://127.0.0.1:{port}");
        var exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"exit {exit}\nstdout: {server.Stdout}\nstderr: {server.Stderr}");
        Assert.Equal(2, exit);
        var line = Assert.Single(server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("zvonim:", line);
        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Contains("address already in use", line);
        Assert.DoesNotContain("   at ", server.Stdout + server.Stderr);
    }

    [Fact]
    public async Task A_misspelt_setting_is_named_in_a_warning_with_the_one_it_meant_and_its_value_is_not_shown()
    {
        var port = ServerProcess.FreePort();
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["Zvonim__Calls__IdelTtl"] = "00:01:23",
            ["Zvonim__Turn__Secrett"] = "not-for-the-log",
        }, "--urls", $"http://127.0.0.1:{port}");
        await server.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30));
        await server.WaitForOutputAsync("Zvonim:Turn:Secrett", TimeSpan.FromSeconds(10));
        output.WriteLine(server.Stdout);
        Assert.Contains("Unknown setting Zvonim:Calls:IdelTtl is ignored; did you mean Zvonim:Calls:IdleTtl?", server.Stdout);
        Assert.Contains("did you mean Zvonim:Turn:Secret?", server.Stdout);
        Assert.DoesNotContain("not-for-the-log", server.Stdout + server.Stderr);
        Assert.DoesNotContain("00:01:23", server.Stdout);
    }
}
