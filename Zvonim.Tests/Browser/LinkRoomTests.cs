using Zvonim.Tests.Web;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Zvonim.Tests.Browser;

/// <summary>
/// Seed 004's link rooms through the same page: POST /api/rooms hands out /r/{token}; whoever opens it joins, the one
/// already there offers, a reload resumes the place, "bye" leaves and the link keeps working.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LinkRoomTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    /// <summary>A new room's link, as POST /api/rooms hands it out.</summary>
    private static async Task<string> NewRoomAsync(ZvonimServer server)
    {
        using var http = server.Http();
        var room = (await (await http.PostAsync("/api/rooms", null)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!;
        return (string)room["url"]!;
    }

    [Fact]
    public async Task Two_people_talk_through_a_room_link_reload_and_one_leaves()
    {
        await using var server = new ZvonimServer();
        var url = await NewRoomAsync(server);

        await using var first = await Participant.OpenAsync(chromium, "first", output);
        await first.GotoAsync(url);
        await first.WaitForStatusAsync("waiting");
        Assert.Equal(url, await first.Page.Locator("#share-link").InputValueAsync());

        await using var second = await Participant.OpenAsync(chromium, "second", output, 390, 844);
        await second.GotoAsync(url);
        await first.WaitForStatusAsync("connected");
        await second.WaitForStatusAsync("connected");
        await first.WaitForMediaFlowingAsync();
        await second.WaitForMediaFlowingAsync();

        // The one who offered reloads: now the other is "already there" and offers; same place, media again.
        var peerId = await first.PeerIdAsync();
        await first.Page.ReloadAsync();
        await first.WaitForStatusAsync("connected");
        await second.WaitForStatusAsync("connected");
        Assert.Equal(peerId, await first.PeerIdAsync());
        await first.WaitForMediaFlowingAsync();
        await second.WaitForMediaFlowingAsync();

        // Hanging up says bye: the other is told, and the link still works for whoever comes next.
        await second.Page.Locator("#hangup").ClickAsync();
        await second.WaitForPathAsync("^/$");
        await first.WaitForStatusAsync("peerGone");
        await Assertions.Expect(first.Page.Locator("#share")).ToBeVisibleAsync();
        await first.ScreenshotAsync(nameof(Two_people_talk_through_a_room_link_reload_and_one_leaves));
    }

    /// <summary>Both people in a link room reload at the same moment: each resumes its place and they connect again.</summary>
    [Fact]
    public async Task Both_people_in_a_link_room_reload_at_once_and_are_connected_again()
    {
        await using var server = new ZvonimServer();
        var url = await NewRoomAsync(server);
        await using var first = await Participant.OpenAsync(chromium, "first", output);
        await first.GotoAsync(url);
        await first.WaitForStatusAsync("waiting");
        await using var second = await Participant.OpenAsync(chromium, "second", output);
        await second.GotoAsync(url);
        await first.WaitForMediaFlowingAsync();
        await second.WaitForMediaFlowingAsync();

        await Task.WhenAll(first.Page.ReloadAsync(), second.Page.ReloadAsync());
        foreach (var side in new[] { first, second })
        {
            await side.WaitForStatusAsync("connected");
            side.Log($"after both reloaded: receives {await side.WaitForMediaFlowingAsync()}");
        }
    }
}
