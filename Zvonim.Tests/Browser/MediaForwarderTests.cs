using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>
/// Seed 001 in real Chromium, inside a network namespace of the test's own (only lo; nothing leaves the machine): people
/// in a group or private chat call each other through the server's media forwarder (one connection each to the
/// server), and every page decodes every other's video and audio (getStats).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MediaForwarderTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Site = "http://127.0.0.1:5080";
    private NetworkNamespace _space = null!;
    private ServerProcess _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly List<IBrowserContext> _contexts = [];

    public async Task InitializeAsync()
    {
        _space = await NetworkNamespace.CreateAsync();
        _server = new ServerProcess(new Dictionary<string, string>
        {
            ["Zvonim__Sfu__Port"] = "3480",
            ["Serilog__MinimumLevel__Default"] = "Information",
        }, _space.Exec, "--urls", Site);
        await _server.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = _space.ChromiumLauncher(), Headless = true, Args = ChromiumFixture.Args, Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
        output.WriteLine(_server.Stdout.Length > 20_000 ? _server.Stdout[^20_000..] : _server.Stdout);
        await _space.DisposeAsync();
    }

    /// <summary>A machine with neither camera nor microphone, as the page sees it.</summary>
    private const string NoDevices =
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));";

    private async Task<IPage> SignUpAsync(string name, string? initScript = null)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera", "microphone"] });
        if (initScript is not null) await context.AddInitScriptAsync(initScript);
        context.SetDefaultTimeout(45_000);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Console += (_, message) => output.WriteLine($"{name}: console.{message.Type}: {message.Text}");
        await page.GotoAsync($"{Site}/app");
        await page.GetByLabel("User name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync("correct horse");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an account" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "idle");
        return page;
    }

    private static Task<JsonElement> FetchAsync(IPage page, string method, string path, object? body = null) =>
        page.EvaluateAsync<JsonElement>("""
            async ([method, path, body]) => {
              const token = localStorage.getItem('zvonim.token');
              const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: body ? JSON.stringify(body) : undefined });
              return await response.json();
            }
            """, new object?[] { method, path, body });

    private static async Task<Dictionary<string, string>> UserIdsAsync(IPage page) =>
        (await FetchAsync(page, "GET", "/api/v1/users")).EnumerateArray()
            .ToDictionary(u => u.GetProperty("username").GetString()!, u => u.GetProperty("id").GetString()!);

    /// <summary>Waits until <paramref name="page"/> shows <paramref name="others"/> participants and decodes video and
    /// receives audio from that many senders right now: counters that move between two looks a second apart (a stream
    /// that stopped keeps its old counters in getStats).</summary>
    private async Task WaitForMediaFromAsync(IPage page, string who, int others)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement? before = null;
        JsonElement stats = default;
        while (DateTime.UtcNow < deadline)
        {
            stats = await page.EvaluateAsync<JsonElement>("() => window.zvonim?.stats() ?? null");
            if (stats.ValueKind == JsonValueKind.Object && before is { } earlier && stats.GetProperty("streams").GetArrayLength() == others)
            {
                var videos = Moving(earlier, stats, "video", "framesDecoded", 5);
                var audios = Moving(earlier, stats, "audio", "totalSamplesReceived", 1);
                if (videos >= others && audios >= others)
                {
                    output.WriteLine($"{who} receives from {others}: {stats}");
                    return;
                }
            }
            before = stats.ValueKind == JsonValueKind.Object ? stats : null;
            await Task.Delay(1000);
        }
        throw new TimeoutException($"{who} does not receive media from {others} others: {stats}");
    }

    /// <summary>Inbound streams of <paramref name="kind"/> whose <paramref name="counter"/> grew by at least
    /// <paramref name="by"/> from one look to the next.</summary>
    private static int Moving(JsonElement before, JsonElement after, string kind, string counter, double by)
    {
        var earlier = before.GetProperty("inbound").EnumerateArray().Where(s => s.GetProperty("kind").GetString() == kind)
            .ToDictionary(s => s.GetProperty("ssrc").GetDouble(), s => s.GetProperty(counter).GetDouble());
        return after.GetProperty("inbound").EnumerateArray()
            .Count(s => s.GetProperty("kind").GetString() == kind && earlier.TryGetValue(s.GetProperty("ssrc").GetDouble(), out var was)
                        && s.GetProperty(counter).GetDouble() - was >= by);
    }

    [Fact]
    public async Task Three_people_in_a_group_call_decode_each_other_through_the_server_and_a_fourth_joins_and_one_leaves()
    {
        var anna = await SignUpAsync("anna");
        var boris = await SignUpAsync("boris");
        var carol = await SignUpAsync("carol");
        var dmitri = await SignUpAsync("dmitri");
        var ids = await UserIdsAsync(anna);
        var group = await FetchAsync(anna, "POST", "/api/v1/groups", new { name = "Team", memberIds = new[] { ids["boris"], ids["carol"] } });
        var groupId = group.GetProperty("id").GetInt64();

        foreach (var page in new[] { anna, boris, carol }) await page.GotoAsync($"{Site}/meet?group={groupId}");
        foreach (var (page, who) in new[] { (anna, "anna"), (boris, "boris"), (carol, "carol") }) await WaitForMediaFromAsync(page, who, 2);

        // dmitri is added and joins mid-call: everyone receives him, he receives everyone.
        await FetchAsync(anna, "POST", $"/api/v1/groups/{groupId}/members", new { userId = ids["dmitri"] });
        await dmitri.GotoAsync($"{Site}/meet?group={groupId}");
        foreach (var (page, who) in new[] { (anna, "anna"), (boris, "boris"), (carol, "carol"), (dmitri, "dmitri") }) await WaitForMediaFromAsync(page, who, 3);

        // dmitri's socket drops and comes back: his session goes on (the server's next offer reaches him through it).
        await dmitri.EvaluateAsync("() => window.zvonim.dropSocket()");
        await dmitri.WaitForFunctionAsync("() => window.zvonim.state.sockets >= 2");

        // carol leaves: the others' connections renegotiate and her tile goes.
        await carol.Locator("#leave").ClickAsync();
        foreach (var (page, who) in new[] { (anna, "anna"), (boris, "boris"), (dmitri, "dmitri") }) await WaitForMediaFromAsync(page, who, 2);
        await Assertions.Expect(anna.Locator(".tile.remote")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task Two_people_in_a_private_chat_call_through_the_server_and_a_reload_comes_back_in()
    {
        var anna = await SignUpAsync("anna");
        var boris = await SignUpAsync("boris");
        var ids = await UserIdsAsync(anna);
        var chat = await FetchAsync(anna, "POST", "/api/v1/chats", new { userId = ids["boris"] });
        var chatId = chat.GetProperty("id").GetInt64();

        foreach (var page in new[] { anna, boris }) await page.GotoAsync($"{Site}/meet?chat={chatId}");
        foreach (var (page, who) in new[] { (anna, "anna"), (boris, "boris") }) await WaitForMediaFromAsync(page, who, 1);
        await Assertions.Expect(anna.Locator(".tile.remote .label")).ToHaveTextAsync("boris");
        await Assertions.Expect(anna.GetByRole(AriaRole.Article, new() { Name = "boris" })).ToBeVisibleAsync(); // a screen reader names the tile
        // boris's sender reports (RTP time against wall-clock time, for lip sync) reach anna for his audio and video.
        await anna.WaitForFunctionAsync("async () => (await window.zvonim.stats()).senderReports >= 2", null, new() { PollingInterval = 500 });

        // boris turns his camera off: anna's tile of him shows his name instead of a frozen picture, and his video
        // again once he turns it back on.
        var borisTile = anna.Locator(".tile.remote");
        await Assertions.Expect(borisTile).ToHaveAttributeAsync("data-video", "on");
        await boris.Locator("#cam").ClickAsync();
        await Assertions.Expect(borisTile).ToHaveAttributeAsync("data-video", "none", new() { Timeout = 10_000 });
        await boris.Locator("#cam").ClickAsync();
        await Assertions.Expect(borisTile).ToHaveAttributeAsync("data-video", "on", new() { Timeout = 15_000 });

        // A dropped socket: the media does not go through it, and the session waits for it to come back.
        await boris.EvaluateAsync("() => window.zvonim.dropSocket()");
        await boris.WaitForFunctionAsync("() => window.zvonim.state.sockets >= 2");
        foreach (var (page, who) in new[] { (anna, "anna"), (boris, "boris") }) await WaitForMediaFromAsync(page, who, 1);

        await boris.ReloadAsync();
        foreach (var (page, who) in new[] { (anna, "anna"), (boris, "boris") }) await WaitForMediaFromAsync(page, who, 1);
        await Assertions.Expect(anna.Locator(".tile.remote")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Someone_without_camera_or_microphone_still_joins_and_receives_and_someone_not_a_member_is_told_so_before_the_camera()
    {
        var anna = await SignUpAsync("anna");
        var boris = await SignUpAsync("boris", NoDevices);
        var carol = await SignUpAsync("carol");
        var ids = await UserIdsAsync(anna);
        var chatId = (await FetchAsync(anna, "POST", "/api/v1/chats", new { userId = ids["boris"] })).GetProperty("id").GetInt64();

        // boris has no devices: he is told so, and still sees and hears anna through the server.
        foreach (var page in new[] { anna, boris }) await page.GotoAsync($"{Site}/meet?chat={chatId}");
        await WaitForMediaFromAsync(boris, "boris", 1);
        await Assertions.Expect(boris.Locator("#notice")).ToContainTextAsync("No camera and microphone");

        // carol is no member of their chat: the page says so, never opens her camera, and does not keep knocking.
        await carol.GotoAsync($"{Site}/meet?chat={chatId}");
        await Assertions.Expect(carol.Locator("#status")).ToHaveAttributeAsync("data-state", "error");
        await Assertions.Expect(carol.Locator("#status-text")).ToContainTextAsync("not a member");
        Assert.Equal(0, await carol.EvaluateAsync<int>("() => window.zvonim.state.attempts"));
        Assert.Equal(0, await carol.EvaluateAsync<int>("() => window.zvonim.state.liveTracks"));
    }
}
