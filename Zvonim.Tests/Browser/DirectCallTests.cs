using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>
/// Seed 002 in real Chromium: people sign up or in on /app, see who is online, call each other, are rung on every
/// device, accept or decline, and talk (media checked with getStats). The server runs on a virtual clock, so "nobody
/// answered" is a clock step, not a 40-second wait.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DirectCallTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    private static async Task<Participant> SignInAsync(ChromiumFixture chromium, ZvonimServer server, ITestOutputHelper output,
        string name, bool signUp, string? device = null)
    {
        var person = await Participant.OpenAsync(chromium, device ?? name, output);
        await person.GotoAsync(new Uri(server.BaseAddress, "/app").ToString());
        await person.WaitForStatusAsync("signedOut");
        await person.Page.GetByLabel("User name").FillAsync(name);
        await person.Page.GetByLabel("Password").FillAsync("correct horse");
        await person.Page.GetByRole(AriaRole.Button, new() { Name = signUp ? "Create an account" : "Sign in" }).ClickAsync();
        await person.WaitForStatusAsync("idle");
        await Assertions.Expect(person.Page.Locator("#me")).ToHaveTextAsync($"Signed in as {name}");
        return person;
    }

    private static ILocator User(Participant viewer, string name) => viewer.Page.Locator($"#users li[data-user='{name}']");

    private static async Task CallAsync(Participant caller, string callee)
    {
        await Assertions.Expect(User(caller, callee)).ToHaveAttributeAsync("data-online", "true", new() { Timeout = 15_000 });
        await caller.Page.GetByRole(AriaRole.Button, new() { Name = $"Call {callee}" }).ClickAsync();
    }

    private static Task AssertEndedAsync(Participant person, string reason) =>
        Assertions.Expect(person.Page.Locator("#notice")).ToHaveAttributeAsync("data-reason", reason);

    [Fact]
    public async Task Two_people_sign_up_ring_accept_see_and_hear_each_other_and_hang_up()
    {
        await using var server = new ZvonimServer();
        await using var anna = await SignInAsync(chromium, server, output, "anna", signUp: true);
        await using var boris = await SignInAsync(chromium, server, output, "boris", signUp: true);

        await CallAsync(anna, "boris");
        await anna.WaitForStatusAsync("calling");
        await boris.WaitForStatusAsync("ringing");
        await Assertions.Expect(boris.Page.Locator("#ring-text")).ToHaveTextAsync("anna is calling you");
        await boris.ScreenshotAsync("direct-call-ringing");
        await anna.ScreenshotAsync("direct-call-calling");
        await boris.Page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();

        foreach (var side in new[] { anna, boris })
        {
            await side.WaitForStatusAsync("connected");
            var stats = await side.WaitForMediaFlowingAsync();
            side.Log($"receiving {stats}");
            Assert.True(stats.AudioEnergy > 0, $"{side.Name} receives only silence: {stats}");
            await Assertions.Expect(side.Page.Locator("#remote-tile")).ToHaveAttributeAsync("data-video", "on");
        }
        await Assertions.Expect(anna.Page.Locator("#status-text")).ToHaveTextAsync("In a call with boris");
        await anna.ScreenshotAsync("direct-call-connected");

        await anna.Page.Locator("#hangup").ClickAsync();
        foreach (var side in new[] { anna, boris })
        {
            await AssertEndedAsync(side, "completed");
            await side.WaitForStatusAsync("idle");
        }
        await Assertions.Expect(boris.Page.Locator("#notice")).ToHaveTextAsync("The call with anna has ended.");
        await boris.ScreenshotAsync("direct-call-ended");
    }

    /// <summary>Both reload at once: each page comes back offering, and the offers cross. The callee's page yields to
    /// the caller's (it answers); the caller's ignores the callee's. Before, both yielded, both answered, and neither
    /// answer was taken: the call stayed without media for good.</summary>
    [Fact]
    public async Task Both_people_reload_at_once_in_a_call_and_see_and_hear_each_other_again()
    {
        await using var server = new ZvonimServer();
        await using var anna = await SignInAsync(chromium, server, output, "anna", signUp: true);
        await using var boris = await SignInAsync(chromium, server, output, "boris", signUp: true);
        await CallAsync(anna, "boris");
        await boris.WaitForStatusAsync("ringing");
        await boris.Page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await anna.WaitForStatusAsync("connected");
        await boris.WaitForStatusAsync("connected");

        await Task.WhenAll(anna.Page.ReloadAsync(), boris.Page.ReloadAsync());
        foreach (var side in new[] { anna, boris })
        {
            await side.WaitForStatusAsync("connected");
            var stats = await side.WaitForMediaFlowingAsync();
            side.Log($"receiving after both reloaded {stats}");
            Assert.True(stats.AudioEnergy > 0, $"{side.Name} receives only silence: {stats}");
        }
    }

    [Fact]
    public async Task Someone_without_camera_or_microphone_is_told_so_in_the_call_and_still_sees_and_hears_the_other()
    {
        await using var server = new ZvonimServer();
        await using var anna = await SignInAsync(chromium, server, output, "anna", signUp: true);
        await using var boris = await SignInAsync(chromium, server, output, "boris", signUp: true);
        await boris.Page.AddInitScriptAsync(
            "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));");
        await boris.Page.ReloadAsync(); // still signed in; from now on the page finds no devices
        await boris.WaitForStatusAsync("idle");

        await CallAsync(anna, "boris");
        await boris.WaitForStatusAsync("ringing");
        await boris.Page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await boris.WaitForStatusAsync("connected");
        await Assertions.Expect(boris.Page.Locator("#notice")).ToContainTextAsync("No camera and microphone");
        var stats = await boris.WaitForMediaFlowingAsync();
        Assert.True(stats.AudioEnergy > 0, $"boris receives only silence: {stats}");
    }

    [Fact]
    public async Task A_page_whose_token_expired_while_its_socket_was_away_asks_to_sign_in_again()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = new ZvonimServer(time: time);
        await using var anna = await SignInAsync(chromium, server, output, "anna", signUp: true);

        // The laptop slept past the token's lifetime: the socket is refused (401) before its upgrade, which a page sees
        // only as a close; it must not stay on "reconnecting" for ever.
        time.Advance(TimeSpan.FromHours(13));
        await anna.Page.EvaluateAsync("() => window.zvonim.dropSocket()");
        await anna.WaitForStatusAsync("signedOut");
        await Assertions.Expect(anna.Page.GetByLabel("User name")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_decline_an_answer_on_another_device_and_no_answer_are_each_told()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = new ZvonimServer(new Dictionary<string, string?> { ["Zvonim:DirectCalls:RingTimeout"] = "00:00:40" }, time);
        await using var anna = await SignInAsync(chromium, server, output, "anna", signUp: true);
        await using var borisPhone = await SignInAsync(chromium, server, output, "boris", signUp: true, device: "boris's phone");
        await using var borisLaptop = await SignInAsync(chromium, server, output, "boris", signUp: false, device: "boris's laptop");
        var boris = new[] { borisPhone, borisLaptop };

        // Both of boris's devices ring; he declines on the laptop.
        await CallAsync(anna, "boris");
        foreach (var device in boris) await device.WaitForStatusAsync("ringing");
        await borisLaptop.Page.GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        await AssertEndedAsync(anna, "rejected");
        await Assertions.Expect(anna.Page.Locator("#notice")).ToHaveTextAsync("boris declined the call.");
        foreach (var device in boris) await device.WaitForStatusAsync("idle");

        // Again; he answers on the phone: the laptop stops ringing and says so, the phone talks with anna.
        await CallAsync(anna, "boris");
        foreach (var device in boris) await device.WaitForStatusAsync("ringing");
        await borisPhone.Page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await AssertEndedAsync(borisLaptop, "answered_elsewhere");
        await borisLaptop.WaitForStatusAsync("idle");
        foreach (var side in new[] { anna, borisPhone })
        {
            await side.WaitForStatusAsync("connected");
            await side.WaitForMediaFlowingAsync();
        }
        await borisPhone.Page.Locator("#hangup").ClickAsync();
        await AssertEndedAsync(anna, "completed");
        await anna.WaitForStatusAsync("idle");

        // Once more; nobody answers within the ring timeout.
        await CallAsync(anna, "boris");
        foreach (var device in boris) await device.WaitForStatusAsync("ringing");
        time.Advance(TimeSpan.FromSeconds(41));
        await AssertEndedAsync(anna, "no_answer");
        await Assertions.Expect(anna.Page.Locator("#notice")).ToHaveTextAsync("boris did not answer.");
        foreach (var device in boris) await device.WaitForStatusAsync("idle");
    }
}
