using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>Real calls between two headless Chromium contexts through a real Zvonim, as people make them.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CallTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    [Fact]
    public async Task Two_browsers_see_and_hear_each_other()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);

        foreach (var side in new[] { call.A, call.B })
        {
            var stats = await side.WaitForMediaFlowingAsync();
            side.Log($"receiving {stats}");
            Assert.True(stats.AudioEnergy > 0, $"{side.Name} receives only silence: {stats}");
            Assert.Equal("on", await side.Page.Locator("#remote-tile").GetAttributeAsync("data-video"));
            Assert.Equal("Connected", await side.StatusTextAsync());
        }
        await call.ScreenshotAllAsync(nameof(Two_browsers_see_and_hear_each_other));
    }

    [Fact]
    public async Task Turning_the_camera_off_and_on_shows_on_the_other_side()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);
        await call.A.WaitForMediaFlowingAsync();
        var camera = call.B.Page.Locator("#cam");
        var remoteTile = call.A.Page.Locator("#remote-tile");

        await camera.ClickAsync();
        await Assertions.Expect(camera).ToHaveAttributeAsync("aria-pressed", "false");
        await Assertions.Expect(remoteTile).ToHaveAttributeAsync("data-camera", "off");
        await Assertions.Expect(call.A.Page.Locator("#remote-message")).ToHaveTextAsync("Camera is off");
        await call.A.WaitForVideoStoppedAsync();
        await call.ScreenshotAllAsync(nameof(Turning_the_camera_off_and_on_shows_on_the_other_side) + "-off");

        await camera.ClickAsync();
        await Assertions.Expect(camera).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(remoteTile).ToHaveAttributeAsync("data-camera", "on");
        await call.A.WaitForMediaFlowingAsync(frames: 10, audioPackets: 1);
        await Assertions.Expect(remoteTile).ToHaveAttributeAsync("data-video", "on");

        // The microphone toggle, too: B mutes, A's tile says so.
        await call.B.Page.Locator("#mic").ClickAsync();
        await Assertions.Expect(call.A.Page.Locator("#remote-mic")).ToBeVisibleAsync();
        await call.B.Page.Locator("#mic").ClickAsync();
        await Assertions.Expect(call.A.Page.Locator("#remote-mic")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Hanging_up_ends_the_call_for_the_other_person()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);

        await call.A.Page.Locator("#hangup").ClickAsync();
        await call.A.WaitForPathAsync("^/$");
        await call.B.WaitForStatusAsync("peerLeft");
        Assert.Equal("The other person left. The call has ended.", await call.B.StatusTextAsync());
        await Assertions.Expect(call.B.Page.Locator("#over")).ToBeVisibleAsync();
        await call.ScreenshotAllAsync(nameof(Hanging_up_ends_the_call_for_the_other_person));
    }

    [Fact]
    public async Task A_reload_comes_back_into_the_same_call()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);
        await call.B.WaitForMediaFlowingAsync();
        var callId = new Uri(call.Link).Segments[^1];

        // B (the one who answers) reloads, then A (the one who offers) does.
        foreach (var side in new[] { call.B, call.A })
        {
            var peerId = await side.PeerIdAsync();
            Assert.False(string.IsNullOrEmpty(peerId));
            await side.Page.ReloadAsync();
            await call.A.WaitForStatusAsync("connected");
            await call.B.WaitForStatusAsync("connected");
            Assert.Equal(peerId, await side.PeerIdAsync());
            side.Log($"back as {peerId}; A receives {await call.A.WaitForMediaFlowingAsync()}");
            side.Log($"back as {peerId}; B receives {await call.B.WaitForMediaFlowingAsync()}");
        }

        using var http = server.Http();
        var status = (await http.GetFromJsonAsync<JsonObject>($"/apiv2/calls/{callId}"))!;
        Assert.Equal("active", (string?)status["status"]);
        Assert.Equal(2, (int)status["participants"]!["count"]!);
        await call.ScreenshotAllAsync(nameof(A_reload_comes_back_into_the_same_call));
    }

    /// <summary>Both pages reload at the same moment: each comes back into its place and the two connect again.</summary>
    [Fact]
    public async Task Both_reload_at_once_and_are_connected_again()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);
        await call.B.WaitForMediaFlowingAsync();

        await Task.WhenAll(call.A.Page.ReloadAsync(), call.B.Page.ReloadAsync());
        foreach (var side in new[] { call.A, call.B })
        {
            await side.WaitForStatusAsync("connected");
            side.Log($"after both reloaded: receives {await side.WaitForMediaFlowingAsync()}");
        }
    }

    [Fact]
    public async Task A_lost_socket_reconnects_and_the_call_carries_on()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);
        await call.A.WaitForMediaFlowingAsync();

        foreach (var side in new[] { call.A, call.B })
        {
            var reconnects = await side.Page.EvaluateAsync<int>("() => window.zvonim.state.socketOpens");
            await side.Page.EvaluateAsync("() => window.zvonim.dropSocket()");
            await side.Page.WaitForFunctionAsync("n => window.zvonim.state.socketOpens > n && window.zvonim.state.wsOpen", reconnects);
            await call.A.WaitForStatusAsync("connected");
            await call.B.WaitForStatusAsync("connected");
            await call.A.WaitForMediaFlowingAsync();
            await call.B.WaitForMediaFlowingAsync();
        }
    }

    [Fact]
    public async Task When_a_call_waits_again_after_a_leave_the_one_who_stayed_connects_with_whoever_opens_the_link_next()
    {
        await using var server = new ZvonimServer(new Dictionary<string, string?> { ["Zvonim:Calls:WhenPeerLeaves"] = "Waiting" });
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);

        // The creator, who made the offers, leaves; B stays in a call that waits again.
        await call.A.Page.Locator("#hangup").ClickAsync();
        await call.B.WaitForStatusAsync("peerGone");

        var c = await call.OpenThirdAsync(chromium, output);
        await c.GotoAsync(call.Link);
        await c.WaitForStatusAsync("connected");
        await call.B.WaitForStatusAsync("connected");
        await c.WaitForMediaFlowingAsync();
    }

    [Fact]
    public async Task A_third_browser_is_told_the_call_is_full()
    {
        await using var server = new ZvonimServer();
        await using var call = await TwoPartyCall.StartAsync(chromium, server, output);
        var c = await call.OpenThirdAsync(chromium, output);

        await c.GotoAsync(call.Link);
        await c.WaitForStatusAsync("full");
        Assert.Equal("This call is full: two people are already in it.", await c.StatusTextAsync());
        await c.ScreenshotAsync(nameof(A_third_browser_is_told_the_call_is_full));
        // The two inside are undisturbed.
        Assert.Equal("connected", await call.A.StatusAsync());
        Assert.Equal("connected", await call.B.StatusAsync());
    }
}
