using System.Diagnostics;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>
/// The real server process as an operator runs it: what its log says about a call, and how it stops. Each line is
/// printed with its structured properties (call_id, peer_id) written out by the output template, so the test sees
/// what a log store would index.
/// </summary>
public sealed class NodeProcessTests(ITestOutputHelper output)
{
    private const string Secret = "turn-secret-that-must-not-leak";

    private static Dictionary<string, string> Settings() => new()
    {
        ["Serilog__MinimumLevel__Default"] = "Information",
        ["Serilog__WriteTo__0__Args__outputTemplate"] = "[{Level:u3}] {Message:lj} | call_id={call_id} peer_id={peer_id}{NewLine}{Exception}",
        ["Zvonim__Turn__Secret"] = Secret,
        ["Zvonim__Turn__TurnUrls__0"] = "turn:127.0.0.1:3478",
    };

    private static Task<(ServerProcess Server, HttpClient Http, int Port)> StartAsync(Dictionary<string, string>? settings = null) =>
        ServerProcess.StartAsync(settings ?? Settings());

    private static Uri Socket(int port, string callId, string peerId) => new($"ws://127.0.0.1:{port}/apiv2/ws?call_id={callId}&peer_id={peerId}");

    [Fact]
    public async Task Access_tokens_and_passwords_never_reach_the_log_even_at_its_most_verbose()
    {
        var settings = Settings();
        settings["Serilog__MinimumLevel__Default"] = "Verbose";
        settings["Serilog__MinimumLevel__Override__Microsoft.AspNetCore"] = "Verbose";
        settings["Serilog__MinimumLevel__Override__Microsoft"] = "Verbose";
        var (server, http, port) = await StartAsync(settings);
        await using var _ = server;
        using var __ = http;
        Uri Ws(string path) => new($"ws://127.0.0.1:{port}{path}");

        var anna = await Contracts.SignedInUser.RegisterAsync(http, Ws, "anna");
        var boris = await Contracts.SignedInUser.RegisterAsync(http, Ws, "boris");
        using (await http.PostAsync("/api/v1/auth/login", Json("""{"username":"anna","password":"a wrong guess"}"""))) { }
        await using var annaPhone = await WsClient.ConnectAsync(Ws($"/api/v1/ws?access_token={anna.Token}"), "anna (query)", _ => { });
        await annaPhone.ReceiveAsync("ready");
        await using var borisPhone = await WsClient.ConnectAsync(Ws("/api/v1/ws"), "boris (subprotocol)", o =>
        {
            o.AddSubProtocol("access_token");
            o.AddSubProtocol(boris.Token);
        });
        await borisPhone.ReceiveAsync("ready");
        var callId = await Contracts.DirectCallsContractTests.AnsweredCallAsync(anna, annaPhone, boris, borisPhone);
        await anna.EndCallAsync(callId);
        await borisPhone.ExpectAsync("call:end");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(Ws($"/api/v1/ws?access_token={anna.Token}x")));
        await server.WaitForOutputAsync($"Call {callId} ended", TimeSpan.FromSeconds(10));

        var log = server.Stdout + server.Stderr;
        Assert.Contains("/api/v1/ws", log); // the requests were logged, verbosely
        foreach (var secret in new[] { anna.Token, boris.Token, anna.Token.Split('.')[2], "correct horse", "a wrong guess" })
            Assert.DoesNotContain(secret, log);
    }

    [Fact]
    public async Task A_request_line_names_the_route_and_carries_no_path_even_with_every_property_printed()
    {
        var settings = Settings();
        settings["Serilog__WriteTo__0__Args__outputTemplate"] = "[{Level:u3}] {Message:lj} {Properties:j}{NewLine}{Exception}";
        var (server, http, _) = await StartAsync(settings);
        await using var _ = server;
        using var __ = http;

        var call = await CreateAsync(http);
        // A client mistake is logged at information: a socket route asked without the upgrade.
        using (var refused = await http.GetAsync($"/apiv2/ws?call_id={call.CallId}&peer_id={call.PeerId}"))
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        using (var missing = await http.GetAsync($"/apiv2/calls/{call.CallId}x"))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        await server.WaitForOutputAsync("answered 404", TimeSpan.FromSeconds(10));

        var requestLines = server.Stdout.Split('\n').Where(l => l.Contains("HTTP GET", StringComparison.Ordinal)).ToList();
        Assert.Contains(requestLines, l => l.Contains("/apiv2/ws answered 400", StringComparison.Ordinal));
        Assert.Contains(requestLines, l => l.Contains("/apiv2/calls/{callId} answered 404", StringComparison.Ordinal));
        // Neither the call nor the peer it was asked with, and no request path or id from ASP.NET Core's own scope.
        Assert.All(requestLines, line =>
        {
            Assert.DoesNotContain(call.CallId, line);
            Assert.DoesNotContain(call.PeerId, line);
            Assert.DoesNotContain("RequestPath", line);
        });
    }

    [Fact]
    public async Task A_whole_call_logs_its_ids_on_every_line_and_a_normal_hang_up_logs_no_dead_letters()
    {
        var (server, http, port) = await StartAsync();
        await using var _ = server;
        using var __ = http;

        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        (await http.GetAsync("/api/turn-config")).EnsureSuccessStatusCode();
        await using (var a = await WsClient.ConnectAsync(Socket(port, call.CallId, call.PeerId), "A"))
        await using (var b = await WsClient.ConnectAsync(Socket(port, call.CallId, peerB), "B"))
        {
            await a.ExpectAsync("join");
            await AssertRelayAsync(a, b);
            await a.SendTextAsync("""{"type":"leave"}""");
            await a.AssertClosedAsync(1000);
            await b.AssertClosedAsync(1000);
        }
        await server.WaitForOutputAsync($"Call {call.CallId} ended", TimeSpan.FromSeconds(10));
        await Task.Delay(500); // anything the hang-up sends to the stopped peers is logged by now, if it is logged at all
        var log = server.Stdout;
        output.WriteLine(log);

        var callLines = log.Split('\n').Where(l => l.Contains(call.CallId, StringComparison.Ordinal)).ToList();
        Assert.True(callLines.Count >= 5, "created, joined, two connects, leave, end");
        Assert.All(callLines, line => Assert.Contains($"call_id={call.CallId}", line));
        var peerLines = callLines.Where(l => l.Contains("Peer ", StringComparison.Ordinal)).ToList();
        Assert.Contains(peerLines, l => l.Contains($"peer_id={peerB}", StringComparison.Ordinal));
        Assert.Contains(peerLines, l => l.Contains($"peer_id={call.PeerId}", StringComparison.Ordinal));
        Assert.DoesNotContain("dead letter", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Secret, log + server.Stderr);
    }

    [Fact]
    public async Task Asked_to_stop_the_node_closes_every_socket_as_going_away_at_once_and_exits_cleanly()
    {
        var (server, http, port) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        var call = await CreateAsync(http);
        await using var a = await WsClient.ConnectAsync(Socket(port, call.CallId, call.PeerId), "A");
        await a.ExpectStateAsync("waiting");

        var clock = Stopwatch.StartNew();
        server.Terminate();
        await a.AssertClosedAsync(1001);
        var exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"closed and exited in {clock.Elapsed}\n{server.Stdout}\n{server.Stderr}");
        Assert.Equal(0, exit);
        // Kestrel would wait up to its 30 s shutdown timeout for an open socket; closing them first makes it prompt.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
        Assert.DoesNotContain("dead letter", server.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Client_mistakes_are_logged_without_stack_traces_and_at_most_a_few_a_minute_per_address()
    {
        var (server, http, port) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        using var attacker = new HttpClient(SourceAddress.Handler(SourceAddress.Attacker))
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        for (var i = 0; i < 200; i++) Assert.Equal(System.Net.HttpStatusCode.NotFound, (await attacker.GetAsync($"/no/such/page/{i}")).StatusCode);
        var bogus = new StringContent("{}", System.Text.Encoding.UTF8);
        bogus.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=bogus");
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, (await attacker.PostAsync("/api/room/join", bogus)).StatusCode);
        // A request that announces 40 MB and sends two bytes.
        using (var raw = new System.Net.Sockets.TcpClient())
        {
            await raw.ConnectAsync(System.Net.IPAddress.Loopback, port);
            var head = "POST /api/room/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40000000\r\n\r\n{}";
            await raw.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
            var answer = new byte[512];
            var read = await raw.GetStream().ReadAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 413", System.Text.Encoding.ASCII.GetString(answer, 0, read));
        }
        // The neighbour's own mistake is still logged.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/neighbour/typo")).StatusCode);
        await server.WaitForOutputAsync("/neighbour/typo", TimeSpan.FromSeconds(10));

        var log = server.Stdout;
        var attackerLines = log.Split('\n').Count(l => l.Contains("/no/such/page/", StringComparison.Ordinal));
        output.WriteLine($"{attackerLines} of the attacker's 200 mistakes logged");
        Assert.InRange(attackerLines, 1, 35);
        Assert.DoesNotContain("   at ", log + server.Stderr);
    }

    [Fact]
    public async Task A_refusal_at_a_limit_is_logged_as_a_warning_not_as_a_server_error()
    {
        var settings = Settings();
        settings["Zvonim__Limits__MaxCalls"] = "1";
        var (server, http, _) = await StartAsync(settings);
        await using var __ = server;
        using var ___ = http;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.PostAsync("/apiv2/calls", null)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await http.PostAsync("/apiv2/calls", null)).StatusCode);
        await server.WaitForOutputAsync("answered 503", TimeSpan.FromSeconds(10));

        var line = server.Stdout.Split('\n').Single(l => l.Contains("answered 503", StringComparison.Ordinal));
        Assert.StartsWith("[WRN]", line.TrimStart());
        Assert.Contains("server_busy", line);
    }
}
