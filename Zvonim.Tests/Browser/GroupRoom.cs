using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>
/// Several people in one group room (/g/{room_id}), each in a browser context of their own: the first creates the
/// room on the home page, the others open its link and give a name.
/// </summary>
public sealed class GroupRoom : IAsyncDisposable
{
    private readonly List<Participant> _members = [];

    private GroupRoom(string link) => Link = link;

    /// <summary>The room's link, as the first member's page offers it.</summary>
    public string Link { get; }

    public IReadOnlyList<Participant> Members => _members;

    public string RoomId => new Uri(Link).Segments[^1];

    /// <summary>The first member creates the room from "/", the others join by the link; waits until each page is
    /// connected to all the others and shows their tiles.</summary>
    /// <param name="screenshots">When set, pictures of the way in (the home page's form, the lone first member,
    /// each name form) are saved under this name.</param>
    public static async Task<GroupRoom> StartAsync(ChromiumFixture chromium, ZvonimServer server, ITestOutputHelper output,
        string? screenshots, params Member[] members)
    {
        GroupRoom? room = null;
        var first = await Participant.OpenAsync(chromium, members[0].Name, output, members[0].Width, members[0].Height, members[0].Locale);
        try
        {
            await first.GotoAsync(server.BaseAddress.ToString());
            await first.Page.Locator("#start-group").ClickAsync();
            await first.Page.Locator("#group-name").FillAsync(members[0].Name);
            if (screenshots is not null) await first.ScreenshotAsync($"{screenshots}-home");
            await first.Page.Locator("#create-room").ClickAsync();
            await first.WaitForPathAsync("^/g/");
            await first.WaitForStatusAsync("alone");
            await Assertions.Expect(first.Page.Locator("#invite")).ToBeVisibleAsync();
            if (screenshots is not null)
            {
                await first.Page.WaitForFunctionAsync("() => document.getElementById('local-tile').dataset.video === 'on'");
                await first.ScreenshotAsync($"{screenshots}-alone");
            }
            var link = await first.Page.Locator("#share-link").InputValueAsync();
            Assert.StartsWith(server.BaseAddress.ToString().TrimEnd('/') + "/g/", link);
            room = new GroupRoom(link);
            room._members.Add(first);

            foreach (var member in members.Skip(1))
            {
                var participant = await Participant.OpenAsync(chromium, member.Name, output, member.Width, member.Height, member.Locale);
                room._members.Add(participant);
                await participant.JoinGroupAsync(link, member.Name, screenshots is null ? null : $"{screenshots}-name");
            }
            if (members.Length > 1) await room.WaitAllConnectedAsync();
            return room;
        }
        catch
        {
            foreach (var participant in room is null ? new[] { first } : room._members.ToArray())
            {
                participant.Log($"setting up the room failed; page: {participant.Page.Url} {await participant.GroupDiagnosticsAsync()}");
                try
                {
                    await participant.ScreenshotAsync("group-setup-failed");
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

    /// <summary>Each page says connected and shows a tile for every other member, by name.</summary>
    public async Task WaitAllConnectedAsync()
    {
        foreach (var member in _members)
        {
            await member.WaitForStatusAsync("connected");
            await member.WaitForTilesAsync(_members.Where(m => m != member).Select(m => m.Name));
        }
    }

    /// <summary>Someone else, in a browser context of their own (not joined yet).</summary>
    public async Task<Participant> OpenAnotherAsync(ChromiumFixture chromium, ITestOutputHelper output, string name,
        int width = 1280, int height = 800, string locale = "en-US")
    {
        var participant = await Participant.OpenAsync(chromium, name, output, width, height, locale);
        _members.Add(participant);
        return participant;
    }

    public void Forget(Participant member) => _members.Remove(member);

    public async Task ScreenshotAllAsync(string testName)
    {
        foreach (var member in _members) await member.ScreenshotAsync(testName);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members) await member.DisposeAsync();
    }

    public sealed record Member(string Name, int Width = 1280, int Height = 800, string Locale = "en-US");
}

/// <summary>What the tests ask of a group-room page (its hook is window.zvonim, as on the call page).</summary>
public static class GroupPage
{
    /// <summary>Opens the room's link, types the name (Enter submits) and waits until the page is in the room.</summary>
    public static async Task JoinGroupAsync(this Participant participant, string link, string name, string? screenshot = null)
    {
        await participant.GotoAsync(link);
        var input = participant.Page.Locator("#name");
        await Assertions.Expect(input).ToBeFocusedAsync();
        await input.FillAsync(name);
        if (screenshot is not null)
        {
            await Assertions.Expect(participant.Page.Locator("#room-people")).ToBeVisibleAsync();
            await participant.ScreenshotAsync(screenshot);
        }
        await input.PressAsync("Enter");
        await participant.WaitForStatusAsync(["alone", "connecting", "connected"]);
    }

    public static async Task<string> UserIdAsync(this Participant participant)
    {
        var state = await participant.Page.EvaluateAsync<JsonElement>("() => window.zvonim.state");
        return state.GetProperty("place").GetProperty("user_id").GetString()!;
    }

    /// <summary>The names on the other participants' tiles, in page order.</summary>
    public static Task<string[]> TileNamesAsync(this Participant participant) =>
        participant.Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#grid .tile.remote .name')].map(e => e.textContent)");

    /// <summary>Waits until the page shows exactly these other participants' tiles (any order) and its own.</summary>
    public static async Task WaitForTilesAsync(this Participant participant, IEnumerable<string> names, TimeSpan? timeout = null)
    {
        var expected = names.Order(StringComparer.Ordinal).ToArray();
        try
        {
            await participant.Page.WaitForFunctionAsync("""
                expected => {
                  const names = [...document.querySelectorAll('#grid .tile.remote .name')].map(e => e.textContent).sort();
                  return !!document.querySelector('#local-tile:not([hidden])') &&
                    names.length === expected.length && names.every((n, i) => n === [...expected].sort()[i]);
                }
                """, expected, Wait(timeout));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{participant.Name}: tiles are [{string.Join(", ", await participant.TileNamesAsync())}], " +
                $"expected [{string.Join(", ", expected)}]. Page state: {await participant.GroupDiagnosticsAsync()}");
        }
    }

    /// <summary>
    /// Waits until media from each of these users really arrives on this page, each on its own connection:
    /// video frames decoded and audio packets received go up by the given amounts from now (on one connection,
    /// a new one counting from its start) and audio samples are played.
    /// </summary>
    public static async Task WaitForMediaFromAsync(this Participant participant, IReadOnlyCollection<string> userIds,
        int frames = 15, int audioPackets = 25, TimeSpan? timeout = null)
    {
        var watch = await participant.Page.EvaluateAsync<int>("() => window.zvonim.watchMedia()");
        try
        {
            await participant.Page.WaitForFunctionAsync("""
                ([watch, ids, frames, packets]) => {
                  const flowing = window.zvonim.mediaFlowing(watch, frames, packets);
                  return ids.every(id => flowing.includes(id));
                }
                """, new object[] { watch, userIds.ToArray(), frames, audioPackets }, Wait(timeout));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{participant.Name}: media is not flowing from all of [{string.Join(", ", userIds)}]. " +
                $"Page state: {await participant.GroupDiagnosticsAsync()}");
        }
    }

    /// <summary>The last sampled inbound audio energy from one user (0 when silent or unknown).</summary>
    public static async Task<double> AudioEnergyFromAsync(this Participant participant, string userId)
    {
        var stats = await participant.Page.EvaluateAsync<JsonElement?>("id => window.zvonim.latestStats(id)", userId);
        return stats is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("audio", out var audio) &&
               audio.ValueKind == JsonValueKind.Object && audio.TryGetProperty("totalAudioEnergy", out var energy)
            ? energy.GetDouble()
            : 0;
    }

    /// <summary>What the page knows about its room and connections, for failure messages.</summary>
    public static async Task<string> GroupDiagnosticsAsync(this Participant participant)
    {
        try
        {
            return await participant.Page.EvaluateAsync<string>("""
                async () => JSON.stringify({
                  state: window.zvonim?.state,
                  stats: window.zvonim?.stats && await window.zvonim.stats().catch(e => String(e)),
                })
                """);
        }
        catch (PlaywrightException ex)
        {
            return $"(unavailable: {ex.Message})";
        }
    }

    /// <summary>How much wider than the screen the page is (0 or less: it fits).</summary>
    public static Task<int> HorizontalOverflowAsync(this Participant participant) =>
        participant.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");

    private static PageWaitForFunctionOptions Wait(TimeSpan? timeout) => new()
    {
        Timeout = (float)(timeout ?? Participant.DefaultTimeout).TotalMilliseconds,
        PollingInterval = 100,
    };
}
