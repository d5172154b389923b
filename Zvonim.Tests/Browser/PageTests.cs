using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>The pages themselves: phone and laptop layouts, English and Russian, keyboard use, error states.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PageTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    public static TheoryData<string, int, int, string, string, string> Screens => new()
    {
        { "phone-en", 390, 844, "en-US", "Start a call", "Waiting for the other person to join…" },
        { "laptop-en", 1280, 800, "en-GB", "Start a call", "Waiting for the other person to join…" },
        { "phone-ru", 390, 844, "ru-RU", "Начать звонок", "Ждём, когда собеседник присоединится…" },
        { "laptop-ru", 1366, 768, "ru", "Начать звонок", "Ждём, когда собеседник присоединится…" },
    };

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task Home_and_waiting_pages_fit_the_screen_in_the_browser_language(
        string name, int width, int height, string locale, string startText, string waitingText)
    {
        await using var server = new ZvonimServer();
        await using var a = await Participant.OpenAsync(chromium, name, output, width, height, locale);

        await a.GotoAsync(server.BaseAddress.ToString());
        var start = a.Page.GetByRole(AriaRole.Button, new() { Name = startText });
        await Assertions.Expect(start).ToBeVisibleAsync();
        await AssertFitsAsync(a.Page);
        await a.ScreenshotAsync("home");

        await start.ClickAsync();
        await a.WaitForStatusAsync("waiting");
        Assert.Equal(waitingText, await a.StatusTextAsync());
        await Assertions.Expect(a.Page.Locator("#share-link")).ToBeInViewportAsync();
        await Assertions.Expect(a.Page.Locator("#copy")).ToBeInViewportAsync();
        await Assertions.Expect(a.Page.Locator("#qr")).ToBeInViewportAsync();
        await Assertions.Expect(a.Page.Locator("#hangup")).ToBeInViewportAsync();
        await a.Page.WaitForFunctionAsync("() => document.getElementById('qr').naturalWidth > 0"); // the QR code loads
        await AssertFitsAsync(a.Page);
        await a.Page.WaitForFunctionAsync("() => document.getElementById('local-tile').dataset.video === 'on'");
        await a.ScreenshotAsync("waiting");
    }

    private static async Task AssertFitsAsync(IPage page)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the screen");
    }

    [Fact]
    public async Task Everything_is_reachable_with_the_keyboard()
    {
        await using var server = new ZvonimServer();
        await using var a = await Participant.OpenAsync(chromium, "A", output);
        await a.GotoAsync(server.BaseAddress.ToString());

        await TabToAsync(a.Page, "start");
        await a.Page.Keyboard.PressAsync("Enter");
        await a.WaitForStatusAsync("waiting");

        await TabToAsync(a.Page, "copy");
        await TabToAsync(a.Page, "mic");
        await a.Page.Keyboard.PressAsync("Space");
        await Assertions.Expect(a.Page.Locator("#mic")).ToHaveAttributeAsync("aria-pressed", "false");
        await TabToAsync(a.Page, "cam");
        await TabToAsync(a.Page, "hangup");
        await a.Page.Keyboard.PressAsync("Enter");
        await a.WaitForPathAsync("^/$");
        await Assertions.Expect(a.Page.Locator("#note")).ToHaveTextAsync("You left the call.");
    }

    /// <summary>Presses Tab until the element with the id has the focus (at most 20 times).</summary>
    private static async Task TabToAsync(IPage page, string id)
    {
        for (var i = 0; i < 20; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<string?>("() => document.activeElement?.id") == id) return;
        }
        Assert.Fail($"#{id} cannot be reached with Tab");
    }

    [Fact]
    public async Task An_unknown_call_is_reported_as_not_found()
    {
        await using var server = new ZvonimServer();
        await using var c = await Participant.OpenAsync(chromium, "C", output, 390, 844);
        await c.GotoAsync(new Uri(server.BaseAddress, "/c/no-such-call").ToString());
        await c.WaitForStatusAsync("notFound");
        Assert.Equal("Call not found. Check the link or start a new call.", await c.StatusTextAsync());
        await Assertions.Expect(c.Page.GetByRole(AriaRole.Link, new() { Name = "Start a new call" })).ToBeVisibleAsync();
        await c.ScreenshotAsync(nameof(An_unknown_call_is_reported_as_not_found));
    }

    [Fact]
    public async Task Without_camera_and_microphone_one_still_joins_and_sees_the_other()
    {
        await using var server = new ZvonimServer();
        await using var a = await Participant.OpenAsync(chromium, "A", output);
        await a.GotoAsync(server.BaseAddress.ToString());
        await a.Page.Locator("#start").ClickAsync();
        await a.WaitForStatusAsync("waiting");
        var link = await a.Page.Locator("#share-link").InputValueAsync();

        // B says no to the camera and microphone prompt.
        await using var b = await Participant.OpenAsync(chromium, "B", output, 390, 844);
        await b.Page.AddInitScriptAsync("""
            navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
            """);
        await b.GotoAsync(link);

        await b.WaitForStatusAsync("connected");
        await a.WaitForStatusAsync("connected");
        await Assertions.Expect(b.Page.Locator("#notice")).ToContainTextAsync("No camera and microphone");
        await Assertions.Expect(b.Page.Locator("#mic")).ToHaveAttributeAsync("aria-pressed", "false");
        await Assertions.Expect(b.Page.Locator("#cam")).ToHaveAttributeAsync("aria-pressed", "false");
        await b.WaitForMediaFlowingAsync(); // B sees and hears A
        await Assertions.Expect(a.Page.Locator("#remote-tile")).ToHaveAttributeAsync("data-camera", "off");
        await a.ScreenshotAsync(nameof(Without_camera_and_microphone_one_still_joins_and_sees_the_other));
        await b.ScreenshotAsync(nameof(Without_camera_and_microphone_one_still_joins_and_sees_the_other));
    }

    [Fact]
    public async Task A_page_opened_over_plain_http_from_another_machine_says_the_camera_needs_https()
    {
        await using var server = new ZvonimServer();
        await using var a = await Participant.OpenAsync(chromium, "A", output);
        // By name, as from another machine: Chromium counts only https and localhost as secure.
        await a.GotoAsync($"http://{Web.Nginx.HostName}:{server.BaseAddress.Port}/");
        Assert.False(await a.Page.EvaluateAsync<bool>("() => window.isSecureContext"));
        await a.Page.Locator("#start").ClickAsync();
        await a.WaitForStatusAsync("waiting");
        var notice = a.Page.Locator("#notice");
        await Assertions.Expect(notice).ToContainTextAsync("browsers give the camera and microphone only to secure pages");
        await Assertions.Expect(notice).ToContainTextAsync("https://");
        await Assertions.Expect(notice).Not.ToContainTextAsync("no permission or no device");
        await a.ScreenshotAsync(nameof(A_page_opened_over_plain_http_from_another_machine_says_the_camera_needs_https));
    }
}
