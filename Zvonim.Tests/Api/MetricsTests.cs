using System.Globalization;
using System.Text.RegularExpressions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>
/// Prometheus metrics at /metrics: what an operator graphs. The meter is one per process and tests share the process,
/// so each figure is read before and after what the test does.
/// </summary>
public sealed partial class MetricsTests
{
    private static async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a metric's samples (all label sets), 0 when it has none yet.</summary>
    private static double Value(string scrape, string metric) =>
        scrape.Split('\n').Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_call_shows_in_the_metrics_as_sockets_relayed_frames_and_admissions_and_a_refusal_as_a_refusal()
    {
        await using var server = Server(("Zvonim:Limits:CreatesPerMinute", "1000"));
        using var http = server.Client();
        var before = await ScrapeAsync(http);

        var call = await CreateAsync(http);
        var peerB = await JoinAsync(http, call.CallId);
        await using var a = await ConnectCreatorAsync(server, call, "active", 2);
        await using var b = await ConnectAsync(server, call.CallId, peerB, "B");
        await a.ExpectAsync("join");
        for (var i = 0; i < 5; i++) await AssertRelayAsync(a, b);
        await AssertErrorAsync(await http.PostAsync($"/apiv2/calls/{UnknownId}/join", null), System.Net.HttpStatusCode.NotFound, "not_found");

        // Each counter is updated before what it counts reaches anyone (the frame B received, the answer to the join).
        var after = await ScrapeAsync(http);
        Assert.True(Value(after, "zvonim_relay_frames_total") - Value(before, "zvonim_relay_frames_total") >= 5, after);
        Assert.True(Value(after, "zvonim_relay_bytes_total") > Value(before, "zvonim_relay_bytes_total"));
        Assert.Matches(OpenCallSockets(), after);
        Assert.True(Value(after, "zvonim_socket_admission_duration_seconds_count") - Value(before, "zvonim_socket_admission_duration_seconds_count") >= 2);
        Assert.Contains("zvonim_refusals_total{", after);
        // Once both sockets are settled, frames take the read loop's short way (RelayLane) rather than the actors.
        // Counted from before this call (the meter is the process's): other tests' frames may add, never take away.
        for (var i = 0; i < 100 && ByLane(after) <= ByLane(before); i++)
        {
            await AssertRelayAsync(a, b);
            after = await ScrapeAsync(http);
        }
        Assert.True(ByLane(after) > ByLane(before), string.Join('\n', after.Split('\n').Where(l => l.StartsWith("zvonim_relay_frames", StringComparison.Ordinal))));
        Assert.Contains("reason=\"NotFound\"", after);
        Assert.Contains("zvonim_calls_live", after);
        // The runtime's own, for GC pauses and heap (ASP.NET Core's request latency: the test below).
        Assert.Contains("dotnet_gc_collections_total", after);
    }

    /// <summary>ASP.NET Core's request latency, from a server in a process of its own, as in production. In the tests'
    /// shared process every server's exporter also listens to the other servers' "Microsoft.AspNetCore.Hosting" meters,
    /// of the same name; there a server's histogram was sometimes never exported in a full run (30 s of scrapes).</summary>
    [Fact]
    public async Task Request_latency_is_exported_as_a_histogram()
    {
        var (server, http, _) = await ServerProcess.StartAsync(new Dictionary<string, string>());
        await using var _ = server;
        using var __ = http;
        await CreateAsync(http);
        // ASP.NET Core records a request's duration after its response is sent, which no client can await: asked again
        // for a while (each scrape is a request too).
        var scrape = await ScrapeAsync(http);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!scrape.Contains("http_server_request_duration_seconds_bucket", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            scrape = await ScrapeAsync(http);
        }
        Assert.Contains("http_server_request_duration_seconds_bucket{", scrape);
        Assert.Contains("http_route=\"/apiv2/calls\"", scrape);
    }

    /// <summary>Frames relayed by the lane so far, 0 before the first.</summary>
    private static double ByLane(string scrape) =>
        LaneLine().Matches(scrape).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex("""^zvonim_relay_frames_total\{[^}]*path="lane"[^}]*\} (\S+)""", RegexOptions.Multiline)]
    private static partial Regex LaneLine();

    [GeneratedRegex("""zvonim_sockets_open\{[^}]*dialect="call"[^}]*\} [1-9]""")]
    private static partial Regex OpenCallSockets();
}
