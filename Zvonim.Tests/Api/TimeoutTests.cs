using System.Net;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Api;

/// <summary>Idle TTL, ended retention and first-connect timeout, in virtual time.</summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task A_call_nobody_connects_to_ends_after_IdleTtl_and_is_gone_after_EndedRetention()
    {
        var time = new ManualTimeProvider();
        await using var server = ApiKit.Server(time,
            ("Zvonim:Calls:IdleTtl", "00:01:00"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:30:00"),
            ("Zvonim:Calls:EndedRetention", "00:02:00"));
        using var http = server.Http();
        var call = await ApiKit.CreateAsync(http);
        Assert.Equal("waiting", (string?)(await ApiKit.StatusAsync(http, call.CallId))["status"]);

        // Status queries are not activity, and before the TTL nothing happens.
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("waiting", (string?)(await ApiKit.StatusAsync(http, call.CallId))["status"]);

        time.Advance(TimeSpan.FromSeconds(2));
        await ApiKit.WaitForStatusAsync(http, call.CallId, "ended");
        using (var join = await http.PostAsync($"/apiv2/calls/{call.CallId}/join", null))
            await ApiKit.AssertErrorAsync(join, HttpStatusCode.Gone, "call_ended");

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ended", (string?)(await ApiKit.StatusAsync(http, call.CallId))["status"]);

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var gone = await ApiKit.WaitForHttpStatusAsync(http, $"/apiv2/calls/{call.CallId}", HttpStatusCode.NotFound);
        Assert.Equal("not_found", (string?)gone["error"]);
        using (var join = await http.PostAsync($"/apiv2/calls/{call.CallId}/join", null))
            await ApiKit.AssertErrorAsync(join, HttpStatusCode.NotFound, "not_found");
    }

    /// <summary>"An ended call still answers status queries this long, then it is gone": knocking on an ended call
    /// (a join refused with 410) must not keep it in memory.</summary>
    [Fact]
    public async Task An_ended_call_is_gone_EndedRetention_after_it_ended_however_often_someone_knocks()
    {
        var time = new ManualTimeProvider();
        await using var server = ApiKit.Server(time, ("Zvonim:Calls:EndedRetention", "00:02:00"));
        using var http = server.Http();
        var call = await ApiKit.CreateAsync(http);
        using (var leave = await ApiKit.LeaveAsync(http, call.CallId, call.PeerId))
            Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        Assert.Equal("ended", (string?)(await ApiKit.StatusAsync(http, call.CallId))["status"]);

        for (var minute = 0; minute < 3; minute++)
        {
            time.Advance(TimeSpan.FromSeconds(59));
            using var join = await http.PostAsync($"/apiv2/calls/{call.CallId}/join", null);
            if (join.StatusCode == HttpStatusCode.NotFound) return; // gone in time
            await ApiKit.AssertErrorAsync(join, HttpStatusCode.Gone, "call_ended");
        }
        // 2 min 57 s after it ended.
        var gone = await ApiKit.WaitForHttpStatusAsync(http, $"/apiv2/calls/{call.CallId}", HttpStatusCode.NotFound);
        Assert.Equal("not_found", (string?)gone["error"]);
    }

    [Fact]
    public async Task A_call_with_a_connected_socket_does_not_go_idle()
    {
        var time = new ManualTimeProvider();
        await using var server = ApiKit.Server(time,
            ("Zvonim:Calls:IdleTtl", "00:01:00"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:30:00"));
        using var http = server.Http();
        var call = await ApiKit.CreateAsync(http);
        await using var a = await SignalClient.ConnectAsync(server, call.CallId, call.PeerId, "A");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);

        time.Advance(TimeSpan.FromMinutes(10));
        await a.SyncAsync();
        Assert.Equal("waiting", (string?)(await ApiKit.StatusAsync(http, call.CallId))["status"]);
        Assert.False(a.IsClosed);
    }

    [Fact]
    public async Task A_call_goes_idle_IdleTtl_after_its_last_socket_dropped()
    {
        var time = new ManualTimeProvider();
        await using var server = ApiKit.Server(time,
            ("Zvonim:Calls:IdleTtl", "00:01:00"),
            ("Zvonim:Calls:ReconnectGrace", "00:05:00"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:30:00"));
        using var http = server.Http();
        var call = await ApiKit.CreateAsync(http);
        var a = await SignalClient.ConnectAsync(server, call.CallId, call.PeerId, "A");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);
        await a.DisposeAsync();
        for (var i = 0; (int?)(await ApiKit.StatusAsync(http, call.CallId))["participants"]?["connected"] != 0; i++)
        {
            Assert.True(i < 200, "the server never noticed the socket closing");
            await Task.Delay(25);
        }
        time.Advance(TimeSpan.FromSeconds(61));
        await ApiKit.WaitForStatusAsync(http, call.CallId, "ended");
    }

    [Fact]
    public async Task A_joined_peer_who_never_connects_frees_its_place_after_FirstConnectTimeout()
    {
        var time = new ManualTimeProvider();
        await using var server = ApiKit.Server(time,
            ("Zvonim:Calls:WhenPeerLeaves", "Waiting"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:02:00"));
        using var http = server.Http();
        var call = await ApiKit.CreateAsync(http);
        await using var a = await SignalClient.ConnectAsync(server, call.CallId, call.PeerId, "A");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);

        var ghost = await ApiKit.JoinAsync(http, call.CallId);
        await a.ExpectStateAsync("active", count: 2, connected: 1);
        using (var full = await http.PostAsync($"/apiv2/calls/{call.CallId}/join", null))
            await ApiKit.AssertErrorAsync(full, HttpStatusCode.Conflict, "call_full");

        time.Advance(TimeSpan.FromMinutes(1));
        using (var stillFull = await http.PostAsync($"/apiv2/calls/{call.CallId}/join", null))
            await ApiKit.AssertErrorAsync(stillFull, HttpStatusCode.Conflict, "call_full");

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);
        await ApiKit.WaitForStatusAsync(http, call.CallId, "waiting", count: 1);

        var peerC = await ApiKit.JoinAsync(http, call.CallId);
        Assert.Equal("active", (string?)(await ApiKit.StatusAsync(http, call.CallId))["status"]);
        await using var c = await SignalClient.ConnectAsync(server, call.CallId, peerC, "C");
        await a.ExpectAsync("join");
        await ApiKit.AssertRelayAsync(a, c);

        // The ghost's peer_id no longer opens anything.
        await using var late = await SignalClient.ConnectAsync(server, call.CallId, ghost, "ghost");
        ApiKit.AssertErrorFrame(await late.NextAsync(), "unknown_peer");
        Assert.Equal(4403, (int?)(await late.ClosedAsync()).Status);
    }

    [Fact]
    public async Task A_peer_who_connects_in_time_keeps_its_place_past_FirstConnectTimeout()
    {
        var time = new ManualTimeProvider();
        await using var server = ApiKit.Server(time, ("Zvonim:Calls:FirstConnectTimeout", "00:02:00"));
        using var http = server.Http();
        var (call, _, a, b) = await ApiKit.ConnectedPairAsync(server, http);
        await using (a)
        await using (b)
        {
            time.Advance(TimeSpan.FromMinutes(5));
            await ApiKit.AssertRelayAsync(a, b);
            var s = await ApiKit.StatusAsync(http, call.CallId);
            Assert.Equal("active", (string?)s["status"]);
            Assert.Equal(2, (int?)s["participants"]?["connected"]);
        }
    }
}
