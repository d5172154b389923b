using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>A starts a call on the home page, B opens the shared link in another browser context.</summary>
public sealed class TwoPartyCall : IAsyncDisposable
{
    private readonly List<Participant> _participants = [];

    private TwoPartyCall(Participant a, Participant b, string link)
    {
        A = a;
        B = b;
        Link = link;
        _participants.Add(a);
        _participants.Add(b);
    }

    public Participant A { get; }

    public Participant B { get; }

    /// <summary>The link A's page offers to share.</summary>
    public string Link { get; }

    /// <param name="query">Page settings for both sides, e.g. "?relay=1".</param>
    /// <param name="expectConnected">Wait until both pages say "connected".</param>
    public static Task<TwoPartyCall> StartAsync(ChromiumFixture chromium, ZvonimServer server, ITestOutputHelper output,
        string query = "", bool expectConnected = true) =>
        StartAsync(chromium, server.BaseAddress, output, query, expectConnected);

    /// <param name="site">Where the browsers open Zvonim: a server, or a proxy in front of several.</param>
    public static async Task<TwoPartyCall> StartAsync(ChromiumFixture chromium, Uri site, ITestOutputHelper output,
        string query = "", bool expectConnected = true)
    {
        var a = await Participant.OpenAsync(chromium, "A", output);
        Participant? b = null;
        try
        {
            await a.GotoAsync(new Uri(site, "/" + query).ToString());
            await a.Page.GetByRole(AriaRole.Button, new() { Name = "Start a call" }).ClickAsync();
            await a.WaitForPathAsync("^/c/");
            await a.WaitForStatusAsync("waiting");
            var link = await a.Page.Locator("#share-link").InputValueAsync();
            Assert.StartsWith(site.ToString().TrimEnd('/') + "/c/", link);

            b = await Participant.OpenAsync(chromium, "B", output, width: 390, height: 844); // a phone
            await b.GotoAsync(link + query);
            var call = new TwoPartyCall(a, b, link);
            if (expectConnected)
            {
                await a.WaitForStatusAsync("connected");
                await b.WaitForStatusAsync("connected");
            }
            return call;
        }
        catch
        {
            foreach (var participant in new[] { a, b }.OfType<Participant>())
            {
                participant.Log($"setting up the call failed; page: {participant.Page.Url} {await participant.DiagnosticsAsync()}");
                try
                {
                    await participant.ScreenshotAsync("setup-failed");
                }
                catch (PlaywrightException)
                {
                    // no picture then
                }
                await participant.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>Someone else, in a browser context of their own.</summary>
    public async Task<Participant> OpenThirdAsync(ChromiumFixture chromium, ITestOutputHelper output, string name = "C")
    {
        var participant = await Participant.OpenAsync(chromium, name, output);
        _participants.Add(participant);
        return participant;
    }

    public async Task ScreenshotAllAsync(string testName)
    {
        foreach (var participant in _participants) await participant.ScreenshotAsync(testName);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var participant in _participants) await participant.DisposeAsync();
    }
}
