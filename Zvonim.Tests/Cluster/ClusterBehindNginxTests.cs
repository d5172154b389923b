using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;
using Zvonim.Tests.Browser;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Cluster;

public sealed class ThreeNodesBehindNginx : ThreeNodes
{
    protected override string LogLevel => "Information"; // the log says which node runs the call
}

/// <summary>
/// Two people in real Chromium call each other over https through a real nginx terminating TLS and doing plain
/// round-robin over three nodes (the README's configuration, <c>deploy/nginx/zvonim.conf</c>): no sticky sessions, a
/// reload lands wherever the proxy sends it, and the call outlives the node that ran it.
/// </summary>
[Collection(ThreeNodes.Collection)]
public sealed class ClusterBehindNginxTests(ThreeNodesBehindNginx cluster, ChromiumFixture chromium, ITestOutputHelper output)
    : IClassFixture<ThreeNodesBehindNginx>, IClassFixture<ChromiumFixture>
{
    [Fact]
    public Task Two_browsers_call_through_round_robin_and_the_call_outlives_the_node_that_ran_it() =>
        cluster.ExplainingFailuresAsync(output, async () =>
        {
            await using var nginx = await Nginx.StartAsync(cluster.HttpPorts);
            await using var call = await TwoPartyCall.StartAsync(chromium, nginx.BaseAddress, output);
            await call.A.WaitForMediaFlowingAsync();
            await call.B.WaitForMediaFlowingAsync();
            var callId = new Uri(call.Link).Segments[^1];

            // Every node served part of this call: pages, REST and sockets went wherever round-robin sent them.
            var nodes = nginx.Served().Select(s => s.Upstream).Distinct().Order().ToList();
            Assert.Equal(cluster.HttpPorts.Select(p => $"127.0.0.1:{p}").Order(), nodes);

            // A room link made through the proxy carries the scheme and host the client used, not a node's.
            using (var http0 = nginx.Http())
            {
                var room = await (await http0.PostAsync("/api/rooms", null)).JsonAsync();
                Assert.StartsWith($"https://127.0.0.1:{nginx.Port}/r/", (string?)room["url"]);
            }

            // A reload lands on whichever node comes next and is back in the same call.
            var peerB = await call.B.PeerIdAsync();
            await call.B.Page.ReloadAsync();
            await call.A.WaitForStatusAsync("connected");
            await call.B.WaitForStatusAsync("connected");
            Assert.Equal(peerB, await call.B.PeerIdAsync());
            await call.B.WaitForMediaFlowingAsync();

            // The shipped configuration's access log has a line per request and none of the keys the URLs carried.
            var shippedLog = nginx.ShippedAccessLog();
            Assert.Contains(" GET 200 ", shippedLog, StringComparison.Ordinal);
            foreach (var key in new[] { callId, peerB! }) Assert.DoesNotContain(key, shippedLog, StringComparison.Ordinal);

            // The node that runs the call dies. Pages whose socket was there reconnect through the proxy to the others;
            // the call comes back on a survivor, and the proxy's status says both are connected again.
            var host = await cluster.NodeRunningAsync(callId);
            cluster.Node(host).Kill();
            var clock = Stopwatch.StartNew();
            using var http = nginx.Http();
            while (true)
            {
                using var response = await http.GetAsync($"/apiv2/calls/{callId}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var status = await response.JsonAsync();
                    if ((string?)status["status"] == "active" && (int)status["participants"]!["connected"]! == 2) break;
                }
                else
                {
                    // Until the dead node is downed its calls answer 503 "try again", as the API says.
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                }
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the call was not back 45 s after node {host} died");
                await Task.Delay(200); // the client's "try again"; nothing tells an outside client the call is back
            }
            output.WriteLine($"node {host} killed; both pages attached to the call again {clock.Elapsed.TotalSeconds:F1} s later");

            // Signalling works again end to end: A reloads into the restored call and renegotiates, then hangs up and
            // B is told.
            await call.A.Page.ReloadAsync();
            await call.A.WaitForStatusAsync("connected");
            await call.B.WaitForStatusAsync("connected");
            await call.A.WaitForMediaFlowingAsync();
            await call.A.Page.Locator("#hangup").ClickAsync();
            await call.B.WaitForStatusAsync("peerLeft");
            await call.ScreenshotAllAsync(nameof(Two_browsers_call_through_round_robin_and_the_call_outlives_the_node_that_ran_it));
        });
}
