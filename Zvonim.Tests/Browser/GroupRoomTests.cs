using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>
/// Seed 003's group rooms through /g/{room_id}: a grid of tiles, one peer connection per other participant, in
/// real Chromium with fake camera and microphone against a real Zvonim.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class GroupRoomTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    private static readonly GroupRoom.Member Anna = new("Anna");
    private static readonly GroupRoom.Member Boris = new("Boris", 390, 844); // a phone
    private static readonly GroupRoom.Member Vera = new("Вера", 1366, 768, "ru-RU");

    [Fact]
    public async Task Three_browsers_in_one_room_see_and_hear_each_other_and_a_fourth_is_told_it_is_full()
    {
        await using var server = new ZvonimServer(new Dictionary<string, string?> { ["Zvonim:GroupRooms:Capacity"] = "3" });
        await using var room = await GroupRoom.StartAsync(chromium, server, output, "group", Anna, Boris, Vera);
        var ids = new Dictionary<Participant, string>();
        foreach (var member in room.Members) ids[member] = await member.UserIdAsync();

        // Every page: its own tile and one per other person, and video and sound from each on its own connection.
        foreach (var member in room.Members)
        {
            var others = room.Members.Where(m => m != member).Select(m => ids[m]).ToArray();
            await member.WaitForMediaFromAsync(others);
            foreach (var other in others)
                Assert.True(await member.AudioEnergyFromAsync(other) > 0, $"{member.Name} receives only silence from {other}");
            await Assertions.Expect(member.Page.Locator("#grid .tile.remote[data-video='on']")).ToHaveCountAsync(2);
            await Assertions.Expect(member.Page.Locator("#grid > .tile:not([hidden])")).ToHaveCountAsync(3);
            Assert.True(await member.HorizontalOverflowAsync() <= 0, $"{member.Name}'s page is wider than the screen");
            member.Log($"tiles: {string.Join(", ", await member.TileNamesAsync())}");
        }
        var vera = room.Members[2];
        Assert.Equal("Соединение установлено · в комнате: 3", await vera.StatusTextAsync());
        Assert.Equal("Connected · in the room: 3", await room.Members[0].StatusTextAsync());

        using var http = server.Http();
        var info = (await http.GetFromJsonAsync<JsonObject>($"/api/room/{room.RoomId}/info"))!;
        Assert.Equal(3, info["users"]!.AsArray().Count(u => (bool)u!["is_online"]!));
        await room.ScreenshotAllAsync(nameof(Three_browsers_in_one_room_see_and_hear_each_other_and_a_fourth_is_told_it_is_full));

        // Boris turns his camera and microphone off: the other two see it on his tile; back on, his video returns.
        var boris = room.Members[1];
        var watchers = room.Members.Where(m => m != boris).ToArray();
        ILocator BorisTile(Participant p) => p.Page.Locator($"#grid .tile.remote[data-user-id='{ids[boris]}']");
        await boris.Page.Locator("#cam").ClickAsync();
        await boris.Page.Locator("#mic").ClickAsync();
        await Assertions.Expect(boris.Page.Locator("#cam")).ToHaveAttributeAsync("aria-pressed", "false");
        foreach (var other in watchers)
        {
            await Assertions.Expect(BorisTile(other)).ToHaveAttributeAsync("data-camera", "off");
            await Assertions.Expect(BorisTile(other).Locator(".mic-off")).ToBeVisibleAsync();
        }
        await boris.Page.Locator("#cam").ClickAsync();
        await boris.Page.Locator("#mic").ClickAsync();
        foreach (var other in watchers)
        {
            await Assertions.Expect(BorisTile(other)).ToHaveAttributeAsync("data-camera", "on");
            await Assertions.Expect(BorisTile(other).Locator(".mic-off")).ToBeHiddenAsync();
            await other.WaitForMediaFromAsync([ids[boris]], frames: 10, audioPackets: 1);
            await Assertions.Expect(BorisTile(other)).ToHaveAttributeAsync("data-video", "on");
        }

        // The room holds three: a fourth person gets the name form, then is told it is full.
        var fourth = await room.OpenAnotherAsync(chromium, output, "Dmitri", 390, 844);
        await fourth.GotoAsync(room.Link);
        await Assertions.Expect(fourth.Page.Locator("#room-people")).ToContainTextAsync("Anna");
        await fourth.Page.Locator("#name").FillAsync("Dmitri");
        await fourth.Page.Locator("#join").ClickAsync();
        await fourth.WaitForStatusAsync("full");
        Assert.Equal("This room is full.", await fourth.StatusTextAsync());
        await Assertions.Expect(fourth.Page.GetByRole(AriaRole.Link, new() { Name = "Home" })).ToBeVisibleAsync();
        await fourth.ScreenshotAsync(nameof(Three_browsers_in_one_room_see_and_hear_each_other_and_a_fourth_is_told_it_is_full));

        // The three inside are undisturbed.
        foreach (var member in room.Members.Take(3)) Assert.Equal("connected", await member.StatusAsync());
    }

    [Fact]
    public async Task A_reload_comes_back_as_the_same_user_and_one_leaving_is_seen_by_the_other_two()
    {
        await using var server = new ZvonimServer();
        await using var room = await GroupRoom.StartAsync(chromium, server, output, null, Anna, Boris, Vera);
        var (anna, boris, vera) = (room.Members[0], room.Members[1], room.Members[2]);
        var (annaId, borisId, veraId) = (await anna.UserIdAsync(), await boris.UserIdAsync(), await vera.UserIdAsync());
        var ids = new Dictionary<Participant, string> { [anna] = annaId, [boris] = borisId, [vera] = veraId };
        await anna.WaitForMediaFromAsync([borisId, veraId]);

        // The one whose user_id lies between the others' reloads. Of two people the smaller id offers, so it offers
        // to one and answers the other: both ways back are taken (as the offerer it starts anew; as the answerer its
        // new page is recognised by its answer). It comes back as the same user, connected with everyone again.
        var reloader = room.Members.OrderBy(m => ids[m], StringComparer.Ordinal).ElementAt(1);
        reloader.Log($"reloads; ids {string.Join(" < ", room.Members.Select(m => ids[m]).Order(StringComparer.Ordinal))}");
        await reloader.Page.ReloadAsync();
        await room.WaitAllConnectedAsync();
        Assert.Equal(ids[reloader], await reloader.UserIdAsync());
        foreach (var member in room.Members)
            await member.WaitForMediaFromAsync(room.Members.Where(m => m != member).Select(m => ids[m]).ToArray());

        // Vera leaves, with the keyboard: the other two see her tile go and still see and hear each other.
        await TabToAsync(vera.Page, "leave");
        await vera.Page.Keyboard.PressAsync("Enter");
        await vera.WaitForPathAsync("^/$");
        await Assertions.Expect(vera.Page.Locator("#note")).ToHaveTextAsync("Вы вышли из комнаты.");

        await anna.WaitForTilesAsync([Boris.Name]);
        await boris.WaitForTilesAsync([Anna.Name]);
        foreach (var member in new[] { anna, boris })
        {
            await member.WaitForStatusAsync("connected");
            Assert.Equal("Connected · in the room: 2", await member.StatusTextAsync());
            await Assertions.Expect(member.Page.Locator("#grid .tile.remote")).ToHaveCountAsync(1);
        }
        await anna.WaitForMediaFromAsync([borisId]);
        await boris.WaitForMediaFromAsync([annaId]);

        using var http = server.Http();
        var info = (await http.GetFromJsonAsync<JsonObject>($"/api/room/{room.RoomId}/info"))!;
        var present = info["users"]!.AsArray().Select(u => (string)u!["user_id"]!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { annaId, borisId }.Order(StringComparer.Ordinal).ToArray(), present);
        await anna.ScreenshotAsync(nameof(A_reload_comes_back_as_the_same_user_and_one_leaving_is_seen_by_the_other_two));
        await boris.ScreenshotAsync(nameof(A_reload_comes_back_as_the_same_user_and_one_leaving_is_seen_by_the_other_two));
    }

    [Fact]
    public async Task An_unknown_group_room_is_reported_as_not_found()
    {
        await using var server = new ZvonimServer();
        await using var c = await Participant.OpenAsync(chromium, "C", output, 390, 844);
        await c.GotoAsync(new Uri(server.BaseAddress, "/g/no-such-room").ToString());
        await c.WaitForStatusAsync("notFound");
        Assert.Equal("Room not found, or it has closed. Check the link or start a new room.", await c.StatusTextAsync());
        await Assertions.Expect(c.Page.GetByRole(AriaRole.Link, new() { Name = "Home" })).ToBeVisibleAsync();
        await Assertions.Expect(c.Page.Locator("#join-form")).ToBeHiddenAsync();
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
}
