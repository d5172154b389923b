using Microsoft.Extensions.Time.Testing;
using System.Net;
using Zvonim.Tests.TestKit;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>Idle TTL, ended retention and first-connect timeout, in virtual time.</summary>
public sealed class TimeoutTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_call_nobody_connects_to_ends_after_IdleTtl_and_is_gone_after_EndedRetention()
    {
        await using var server = Server(_time,
            ("Zvonim:Calls:IdleTtl", "00:01:00"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:30:00"),
            ("Zvonim:Calls:EndedRetention", "00:02:00"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        Assert.Equal("waiting", (string?)(await StatusAsync(http, call.CallId))["status"]);

        // Status queries are not activity, and before the TTL nothing happens.
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("waiting", (string?)(await StatusAsync(http, call.CallId))["status"]);

        _time.Advance(TimeSpan.FromSeconds(2));
        await WaitForStatusAsync(http, call.CallId, "ended");
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Gone, "call_ended");

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ended", (string?)(await StatusAsync(http, call.CallId))["status"]);

        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var gone = await WaitForHttpStatusAsync(http, $"/apiv2/calls/{call.CallId}", HttpStatusCode.NotFound);
        Assert.Equal("not_found", (string?)gone["error"]);
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.NotFound, "not_found");
    }

    /// <summary>"An ended call still answers status queries this long, then it is gone": knocking on an ended call
    /// (a join refused with 410) must not keep it in memory.</summary>
    [Fact]
    public async Task An_ended_call_is_gone_EndedRetention_after_it_ended_however_often_someone_knocks()
    {
        await using var server = Server(_time, ("Zvonim:Calls:EndedRetention", "00:02:00"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        using (var leave = await LeaveAsync(http, call.CallId, call.PeerId))
            Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        Assert.Equal("ended", (string?)(await StatusAsync(http, call.CallId))["status"]);

        for (var minute = 0; minute < 3; minute++)
        {
            _time.Advance(TimeSpan.FromSeconds(59));
            using var join = await http.PostAsync($"/apiv2/calls/{call.CallId}/join", null);
            if (join.StatusCode == HttpStatusCode.NotFound) return; // gone in time
            await AssertErrorAsync(join, HttpStatusCode.Gone, "call_ended");
        }
        // 2 min 57 s after it ended.
        var gone = await WaitForHttpStatusAsync(http, $"/apiv2/calls/{call.CallId}", HttpStatusCode.NotFound);
        Assert.Equal("not_found", (string?)gone["error"]);
    }

    [Fact]
    public async Task A_call_with_a_connected_socket_does_not_go_idle()
    {
        await using var server = Server(_time,
            ("Zvonim:Calls:IdleTtl", "00:01:00"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:30:00"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        await using var a = await ConnectCreatorAsync(server, call);

        _time.Advance(TimeSpan.FromMinutes(10));
        await a.SyncAsync();
        Assert.Equal("waiting", (string?)(await StatusAsync(http, call.CallId))["status"]);
        Assert.False(a.IsClosed);
    }

    [Fact]
    public async Task A_call_goes_idle_IdleTtl_after_its_last_socket_dropped()
    {
        await using var server = Server(_time,
            ("Zvonim:Calls:IdleTtl", "00:01:00"),
            ("Zvonim:Calls:ReconnectGrace", "00:05:00"),
            ("Zvonim:Calls:FirstConnectTimeout", "00:30:00"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        var a = await ConnectCreatorAsync(server, call);
        await a.DisposeAsync();
        await WaitForConnectedAsync(http, call.CallId, 0);
        _time.Advance(TimeSpan.FromSeconds(61));
        await WaitForStatusAsync(http, call.CallId, "ended");
    }

    [Theory]
    [InlineData("Waiting")]
    [InlineData("End")] // the default: nobody left a call they were never in, so it goes on
    public async Task A_joined_peer_who_never_connects_frees_its_place_after_FirstConnectTimeout(string whenPeerLeaves)
    {
        await using var server = Server(_time,
            ("Zvonim:Calls:WhenPeerLeaves", whenPeerLeaves),
            ("Zvonim:Calls:FirstConnectTimeout", "00:02:00"));
        using var http = server.Client();
        var call = await CreateAsync(http);
        await using var a = await ConnectCreatorAsync(server, call);

        var ghost = await JoinAsync(http, call.CallId);
        await a.ExpectStateAsync("active", count: 2, connected: 1);
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Conflict, "call_full");

        _time.Advance(TimeSpan.FromMinutes(1));
        await AssertJoinRefusedAsync(http, call.CallId, HttpStatusCode.Conflict, "call_full");

        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await a.ExpectAsync("leave");
        await a.ExpectStateAsync("waiting", count: 1, connected: 1);
        await WaitForStatusAsync(http, call.CallId, "waiting", count: 1);

        var peerC = await JoinAsync(http, call.CallId);
        Assert.Equal("active", (string?)(await StatusAsync(http, call.CallId))["status"]);
        await using var c = await ConnectAsync(server, call.CallId, peerC, "C");
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, c);

        // The ghost's peer_id no longer opens anything.
        await using var late = await ConnectAsync(server, call.CallId, ghost, "ghost");
        await AssertRefusedAsync(late, "unknown_peer", 4403);
    }

    [Fact]
    public async Task A_peer_who_connects_in_time_keeps_its_place_past_FirstConnectTimeout()
    {
        await using var server = Server(_time, ("Zvonim:Calls:FirstConnectTimeout", "00:02:00"));
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var (call, _, a, b) = pair;

        _time.Advance(TimeSpan.FromMinutes(5));
        await AssertRelayAsync(a, b);
        var s = await StatusAsync(http, call.CallId);
        Assert.Equal("active", (string?)s["status"]);
        Assert.Equal(2, (int?)s["participants"]?["connected"]);
    }
}
