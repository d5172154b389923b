using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>
/// TURN for real: Debian's coturn on loopback with a shared secret (use-auth-secret), Zvonim handing out credentials
/// signed with a secret, and both pages forced to relay-only ICE (?relay=1).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TurnRelayTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    private const string Secret = "zvonim-test-secret-7f3a";

    private static ZvonimServer ServerWithTurn(Coturn turn, string secret) => new ZvonimServer(new Dictionary<string, string?>
    {
        ["Zvonim:Turn:TurnUrls:0"] = turn.UdpUrl,
        ["Zvonim:Turn:Secret"] = secret,
    });

    [Fact]
    public async Task The_call_connects_through_the_relay_with_the_right_secret()
    {
        await using var turn = await Coturn.StartAsync(Secret);
        await using var server = ServerWithTurn(turn, Secret);
        try
        {
            await using var call = await TwoPartyCall.StartAsync(chromium, server, output, query: "?relay=1");
            foreach (var side in new[] { call.A, call.B })
            {
                var stats = await side.WaitForMediaFlowingAsync();
                side.Log($"receiving {stats}");
                Assert.Equal("relay", stats.LocalCandidateType);
                Assert.Equal("relay", stats.RemoteCandidateType);
            }
            await call.ScreenshotAllAsync(nameof(The_call_connects_through_the_relay_with_the_right_secret));
        }
        catch
        {
            output.WriteLine("coturn log:\n" + turn.Log);
            throw;
        }
    }

    [Fact]
    public async Task With_a_wrong_secret_the_call_does_not_connect_and_the_page_says_so()
    {
        await using var turn = await Coturn.StartAsync(Secret);
        await using var server = ServerWithTurn(turn, "not-the-secret");
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output, query: "?relay=1", expectConnected: false);

        foreach (var side in new[] { call.A, call.B })
        {
            await side.WaitForStatusAsync("failed");
            Assert.Equal("Could not connect (network/TURN).", await side.StatusTextAsync());
            await Assertions.Expect(side.Page.Locator("#notice")).ToContainTextAsync("The TURN server refused the credentials.");
        }
        await call.ScreenshotAllAsync(nameof(With_a_wrong_secret_the_call_does_not_connect_and_the_page_says_so));
        Assert.Contains("401", turn.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_relay_fails_and_comes_back_ICE_restarts_and_the_call_resumes()
    {
        var turn = await Coturn.StartAsync(Secret);
        var port = turn.Port;
        try
        {
            await using var server = ServerWithTurn(turn, Secret);
            await using var call = await TwoPartyCall.StartAsync(chromium, server, output, query: "?relay=1");
            await call.A.WaitForMediaFlowingAsync();
            var before = (await call.A.StatsAsync())!.Session;

            await turn.DisposeAsync(); // the relay disappears mid-call
            await call.A.WaitForStatusAsync(["reconnecting", "failed"]);
            await call.B.WaitForStatusAsync(["reconnecting", "failed"]);
            await call.ScreenshotAllAsync(nameof(When_the_relay_fails_and_comes_back_ICE_restarts_and_the_call_resumes) + "-lost");

            turn = await Coturn.StartAsync(Secret, port); // and comes back, with no memory of the old allocations
            var timeout = TimeSpan.FromSeconds(60);
            await call.A.WaitForStatusAsync("connected", timeout);
            await call.B.WaitForStatusAsync("connected", timeout);
            foreach (var side in new[] { call.A, call.B })
            {
                var stats = await side.WaitForMediaFlowingAsync();
                side.Log($"receiving again {stats}");
                Assert.Equal("relay", stats.LocalCandidateType);
            }
            // The same connection, restarted: not a new one.
            Assert.Equal(before, (await call.A.StatsAsync())!.Session);
        }
        catch
        {
            output.WriteLine("coturn log:\n" + turn.Log);
            throw;
        }
        finally
        {
            await turn.DisposeAsync();
        }
    }
}
