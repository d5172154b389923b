using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;
using static Zvonim.Tests.Api.ApiKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;
using static Zvonim.Tests.Web.ServerProcess;

namespace Zvonim.Tests.Api;

/// <summary>The real server process (Zvonim.Web.dll from the build output): bad settings stop it at once with one clear
/// line on stderr and a non-zero exit; --urls is honoured.</summary>
public sealed class SettingsValidationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Zvonim__Signaling__MaxMessageBytes", "10", "Zvonim:Signaling:MaxMessageBytes" },
        { "Zvonim__Signaling__MaxMessageBytes", "lots", "Zvonim:Signaling:MaxMessageBytes" },
        { "Zvonim__Signaling__SendQueueLimit", "2", "Zvonim:Signaling:SendQueueLimit" },
        { "Zvonim__Signaling__PendingLimit", "0", "Zvonim:Signaling:PendingLimit" },
        { "Zvonim__Signaling__KeepAliveTimeout", "-00:00:05", "Zvonim:Signaling:KeepAliveTimeout" },
        { "Zvonim__Signaling__StallTimeout", "00:00:30", "Zvonim:Signaling:StallTimeout" },
        { "Zvonim__Calls__WhenPeerLeaves", "Sometimes", "Zvonim:Calls:WhenPeerLeaves" },
        { "Zvonim__Calls__ReconnectGrace", "00:00:00", "Zvonim:Calls:ReconnectGrace" },
        { "Zvonim__Calls__IdleTtl", "banana", "Zvonim:Calls:IdleTtl" },
        { "Zvonim__Calls__EndedRetention", "-00:01:00", "Zvonim:Calls:EndedRetention" },
        { "Zvonim__Calls__FirstConnectTimeout", "00:00:00", "Zvonim:Calls:FirstConnectTimeout" },
        { "Zvonim__Turn__TurnUrls__0", "turn:turn.example.org:3478", "Zvonim:Turn" },
        { "Zvonim__Turn__StunUrls__0", "http://stun.example.org", "Zvonim:Turn:StunUrls" },
        { "Zvonim__Turn__CredentialTtl", "00:00:10", "Zvonim:Turn:CredentialTtl" },
        { "Zvonim__Store__WriteDelay", "00:00:05", "Zvonim:Store:WriteDelay" },
        { "Zvonim__Accounts__FailedLoginsPerMinutePerUser", "5", "Zvonim:Accounts:FailedLoginsPerMinutePerUser" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_stops_the_server_with_one_clear_line_and_a_non_zero_exit(string key, string value, string named)
    {
        var port = FreePort();
        var clock = Stopwatch.StartNew();
        await using var server = new ServerProcess(new Dictionary<string, string> { [key] = value },
            "--urls", $"http://127.0.0.1:{port}");
        var exit = await server.WaitForExitAsync(ExitTimeout);
        output.WriteLine($"exit {exit} after {clock.Elapsed}\nstderr: {server.Stderr}\nstdout: {server.Stdout}");

        Assert.True(exit is not null, $"the server kept running with {key}={value}");
        Assert.NotEqual(0, exit);
        var lines = server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains(named, line);
        Assert.StartsWith("zvonim:", line);
        Assert.DoesNotContain("   at ", server.Stderr); // a sentence, not a stack trace
    }

    /// <summary>"One clear line": an operator starting the server in a terminal sees stdout and stderr together.</summary>
    [Theory]
    [InlineData("Zvonim__Signaling__MaxMessageBytes", "10")]
    [InlineData("Zvonim__Calls__WhenPeerLeaves", "Sometimes")]
    public async Task A_bad_setting_prints_no_stack_trace_on_any_output(string key, string value)
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { [key] = value },
            "--urls", $"http://127.0.0.1:{FreePort()}");
        var exit = await server.WaitForExitAsync(ExitTimeout);
        output.WriteLine($"exit {exit}\nstderr: {server.Stderr}\nstdout: {server.Stdout}");
        Assert.True(exit is not null and not 0, $"exit code {exit}");
        var everything = (server.Stdout + server.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain(everything, l => l.StartsWith("at ", StringComparison.Ordinal));
        Assert.Single(everything);
    }

    [Fact]
    public async Task Several_bad_settings_are_still_one_line_naming_each()
    {
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["Zvonim__Signaling__MaxMessageBytes"] = "10",
            ["Zvonim__Signaling__SendQueueLimit"] = "1",
        }, "--urls", $"http://127.0.0.1:{FreePort()}");
        var exit = await server.WaitForExitAsync(ExitTimeout);
        output.WriteLine($"exit {exit}\nstderr: {server.Stderr}");
        Assert.True(exit is not null and not 0, $"exit code {exit}");
        var line = Assert.Single(server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("Zvonim:Signaling:MaxMessageBytes", line);
        Assert.Contains("Zvonim:Signaling:SendQueueLimit", line);
    }

    [Fact]
    public async Task A_TURN_secret_never_appears_in_the_output()
    {
        const string secret = "do-not-print-this-secret";
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["Zvonim__Turn__Secret"] = secret,
            ["Zvonim__Turn__TurnUrls__0"] = "http://not-a-turn-url",
        }, "--urls", $"http://127.0.0.1:{FreePort()}");
        var exit = await server.WaitForExitAsync(ExitTimeout);
        Assert.True(exit is not null and not 0, $"exit code {exit}");
        Assert.Contains("Zvonim:Turn:TurnUrls", server.Stderr);
        Assert.DoesNotContain(secret, server.Stderr + server.Stdout);
    }

    [Fact]
    public async Task The_server_listens_where_urls_says_with_good_settings()
    {
        var port = FreePort();
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["Zvonim__Turn__StunUrls__0"] = "stun:stun.example.org:3478",
        }, "--urls", $"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

        var clock = Stopwatch.StartNew();
        HttpResponseMessage? response = null;
        while (response is null)
        {
            Assert.False(server.HasExited, $"the server exited: {server.Stderr}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"nothing listened on {port} within 30 s: {server.Stdout} {server.Stderr}");
            try
            {
                response = await http.GetAsync("/api/turn-config");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.JsonAsync();
            Assert.Equal("stun:stun.example.org:3478", (string?)body["iceServers"]?[0]?["urls"]?[0]);
        }
        // The whole API is there too.
        var call = await CreateAsync(http);
        Assert.Equal("waiting", (string?)(await StatusAsync(http, call.CallId))["status"]);
        Assert.Equal(string.Empty, server.Stderr.Trim());
    }
}
