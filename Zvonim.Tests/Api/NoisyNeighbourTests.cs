using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;
using static Zvonim.Tests.Web.SourceAddress;

namespace Zvonim.Tests.Api;

/// <summary>
/// One client (the attacker, 127.0.0.2) pushes against a limit while another (127.0.0.3) goes on as usual: the
/// attacker gets the documented refusal, the neighbour never notices. Limits are set small here so that a test
/// reaches them in a few requests; their defaults are in the README's settings table.
/// </summary>
public sealed class NoisyNeighbourTests
{
    [Fact]
    public async Task Creating_past_the_allowance_is_429_with_retry_after_and_another_address_still_creates()
    {
        var time = Clocks.Fake();
        await using var server = Server(time, ("Zvonim:Limits:CreatesPerMinute", "5"));
        using var attacker = server.ClientFrom(Attacker);
        using var neighbour = server.ClientFrom(Neighbour);
        for (var i = 0; i < 5; i++) await CreateAsync(attacker);

        using var refused = await attacker.PostAsync("/apiv2/calls", null);
        await AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("12", refused.Headers.GetValues("Retry-After").Single()); // 5 a minute: the next one in 12 s
        time.Advance(TimeSpan.FromSeconds(12));
        await CreateAsync(attacker); // ... and it is there, in virtual time
        // Rooms count as creating too, through either API that makes them.
        await AssertErrorAsync(await attacker.PostAsync("/api/rooms", null), HttpStatusCode.TooManyRequests, "rate_limited");
        await AssertErrorAsync(await attacker.PostAsync("/api/room/join", Json("""{"user_name":"x"}""")), HttpStatusCode.TooManyRequests, "rate_limited");

        var call = await CreateAsync(neighbour);
        Assert.Equal("waiting", (string?)(await StatusAsync(neighbour, call.CallId))["status"]);
    }

    [Fact]
    public async Task Guessing_ids_is_throttled_per_address_even_for_ids_that_exist()
    {
        var time = Clocks.Fake();
        await using var server = Server(time, ("Zvonim:Limits:MissesPerMinute", "5"));
        using var attacker = server.ClientFrom(Attacker);
        using var neighbour = server.ClientFrom(Neighbour);
        var real = await CreateAsync(neighbour);
        for (var i = 0; i < 5; i++)
        {
            await AssertErrorAsync(await attacker.GetAsync($"/apiv2/calls/{UnknownId[..^1]}{i}"), HttpStatusCode.NotFound, "not_found");
            // Paced like a patient guesser: the bucket then holds a fraction of a token, which must not count as one
            // (System.Threading.RateLimiting's zero-permit check let such guesses through).
            time.Advance(TimeSpan.FromMilliseconds(150));
        }

        await AssertErrorAsync(await attacker.GetAsync($"/apiv2/calls/{real.CallId}"), HttpStatusCode.TooManyRequests, "rate_limited");
        await AssertErrorAsync(await attacker.GetAsync($"/api/room/{UnknownId}/info"), HttpStatusCode.TooManyRequests, "rate_limited");
        time.Advance(TimeSpan.FromSeconds(12)); // one guess comes back
        Assert.Equal("waiting", (string?)(await StatusAsync(attacker, real.CallId))["status"]);
        Assert.Equal("waiting", (string?)(await StatusAsync(neighbour, real.CallId))["status"]);
        await AssertErrorAsync(await neighbour.GetAsync($"/apiv2/calls/{UnknownId}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_address_holding_its_most_sockets_is_refused_503_until_one_closes_and_others_connect_meanwhile()
    {
        await using var server = Server(("Zvonim:Limits:MaxSocketsPerAddress", "3"));
        using var neighbour = server.ClientFrom(Neighbour);
        var held = new List<WsClient>();
        await using var _ = new Disposer(held);
        for (var i = 0; i < 3; i++)
        {
            var call = await CreateAsync(neighbour);
            held.Add(await WsClient.ConnectAsync(SocketUri(server, call.CallId, call.PeerId), $"held-{i}", Attacker));
            await held[^1].ExpectStateAsync("waiting");
        }
        var fourth = await CreateAsync(neighbour);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await WsClient.HandshakeRefusedAsync(SocketUri(server, fourth.CallId, fourth.PeerId), Attacker));

        await using (var other = await WsClient.ConnectAsync(SocketUri(server, fourth.CallId, fourth.PeerId), "neighbour", Neighbour))
            await other.ExpectStateAsync("waiting");

        await held[0].DisposeAsync();
        held.RemoveAt(0);
        var again = await CreateAsync(neighbour);
        await EventuallyAsync(async () =>
        {
            try
            {
                var socket = await WsClient.ConnectAsync(SocketUri(server, again.CallId, again.PeerId), "again", Attacker);
                held.Add(socket);
                return true;
            }
            catch (WebSocketException)
            {
                return false;
            }
        }, ok => ok, "a slot freed by the closed socket");
    }

    [Fact]
    public async Task A_node_holding_its_most_upgraded_connections_answers_503_server_busy_and_its_sockets_go_on()
    {
        // Kestrel's cap on upgraded connections comes from the open-file limit (FileLimit.Caps); two stand for it here.
        await using var server = new ZvonimServer(kestrel: k => k.Limits.MaxConcurrentUpgradedConnections = 2);
        using var attacker = server.ClientFrom(Attacker);
        var call = await CreateAsync(attacker);
        var peerB = await JoinAsync(attacker, call.CallId);
        await using var a = await WsClient.ConnectAsync(SocketUri(server, call.CallId, call.PeerId), "A", Attacker);
        await a.ExpectStateAsync("active", 2, 1);
        await using var b = await WsClient.ConnectAsync(SocketUri(server, call.CallId, peerB), "B", Neighbour);
        await a.ExpectStateAsync("active", 2, 2);

        var third = await CreateAsync(attacker);
        foreach (var from in new[] { Attacker, Neighbour })
        {
            using var refused = await WsClient.HandshakeAsync(SocketUri(server, third.CallId, third.PeerId), from);
            await AssertErrorAsync(refused, HttpStatusCode.ServiceUnavailable, "server_busy");
            // A refusal, not half a handshake: a proxy would take these for an upgrade.
            Assert.False(refused.Headers.Contains("Sec-WebSocket-Accept"));
            Assert.Empty(refused.Headers.Upgrade);
        }

        await AssertRelayAsync(a, b);
        await AssertRelayAsync(b, a);
    }

    [Fact]
    public async Task A_node_at_its_call_limit_answers_503_and_still_serves_the_calls_it_has()
    {
        await using var server = Server(("Zvonim:Limits:MaxCalls", "3"));
        using var http = server.Client();
        var calls = new List<Created>();
        for (var i = 0; i < 3; i++) calls.Add(await CreateAsync(http));
        await AssertErrorAsync(await http.PostAsync("/apiv2/calls", null), HttpStatusCode.ServiceUnavailable, "server_busy");
        await AssertErrorAsync(await http.PostAsync("/api/rooms", null), HttpStatusCode.ServiceUnavailable, "server_busy");
        var peerB = await JoinAsync(http, calls[0].CallId);
        Assert.Equal("active", (string?)(await StatusAsync(http, calls[0].CallId))["status"]);
        Assert.False(string.IsNullOrEmpty(peerB));
    }

    [Fact]
    public async Task Ended_calls_do_not_use_up_the_nodes_call_limit_and_the_oldest_make_way_past_it()
    {
        await using var server = Server(("Zvonim:Limits:MaxCalls", "2"));
        using var http = server.Client();
        var ended = new List<string>();
        for (var i = 0; i < 3; i++) // more calls made and ended than the node may carry at once
        {
            var call = await CreateAsync(http);
            using (var left = await LeaveAsync(http, call.CallId, call.PeerId)) Assert.Equal(HttpStatusCode.OK, left.StatusCode);
            ended.Add(call.CallId);
        }
        Assert.Equal("ended", (string?)(await StatusAsync(http, ended[2]))["status"]);
        Assert.Equal("ended", (string?)(await StatusAsync(http, ended[1]))["status"]);
        using (var oldest = await http.GetAsync($"/apiv2/calls/{ended[0]}")) // held as many ended calls as live ones: it went first
            Assert.Equal(HttpStatusCode.NotFound, oldest.StatusCode);

        await CreateAsync(http);
        await CreateAsync(http);
        await AssertErrorAsync(await http.PostAsync("/apiv2/calls", null), HttpStatusCode.ServiceUnavailable, "server_busy");
    }

    [Theory]
    [InlineData("application/json; charset=bogus")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("text/plain")]
    public async Task A_body_that_is_not_utf8_json_is_415(string contentType)
    {
        await using var server = Server();
        using var http = server.Client();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"user_name":"Ann"}"""));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        await AssertErrorAsync(await http.PostAsync("/api/room/join", content), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        // The same body as UTF-8 JSON is fine.
        await OkAsync(await http.PostAsync("/api/room/join", Json("""{"user_name":"Ann"}""")));
    }

    [Fact]
    public async Task A_large_body_is_413_whether_it_announces_its_length_or_not()
    {
        await using var server = Server();
        using var http = server.Client();
        var big = $$"""{"user_name":"Ann","padding":"{{new string('x', 40_000)}}"}""";
        await AssertErrorAsync(await http.PostAsync("/api/room/join", Json(big)), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/room/join") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertErrorAsync(await http.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task A_huge_id_is_not_echoed_back()
    {
        await using var server = Server();
        using var http = server.Client();
        var id = new string('a', 5000);
        var error = await AssertErrorAsync(await http.GetAsync($"/apiv2/calls/{id}"), HttpStatusCode.NotFound, "not_found");
        Assert.True(((string?)error["message"])!.Length < 100, (string?)error["message"]);
    }

    [Fact]
    public async Task A_socket_that_keeps_sending_garbage_is_closed_after_its_allowance_and_the_neighbour_call_goes_on()
    {
        await using var server = Server(("Zvonim:Limits:MaxInvalidMessagesPerMinute", "5"));
        using var http = server.Client();
        await using var control = await ConnectedPairAsync(server, http);
        var call = await CreateAsync(http);
        await using var noisy = await WsClient.ConnectAsync(SocketUri(server, call.CallId, call.PeerId), "noisy", Attacker);
        await noisy.ExpectStateAsync("waiting");

        for (var i = 0; i < 6; i++) await noisy.SendTextAsync("not json");
        var errors = await noisy.CollectUntilAsync(m => (string?)m["error"] == "too_many_invalid_messages", what: "the last error");
        Assert.Equal(6, errors.Count(m => (string?)m["error"] == "invalid_json")); // each answered, the one past the allowance too
        await noisy.AssertClosedAsync(1008);
        await AssertRelayAsync(control.A, control.B);
    }

    [Fact]
    public async Task A_message_left_unfinished_is_closed_when_its_time_is_up_in_virtual_time()
    {
        var time = Clocks.Fake();
        await using var server = Server(time, ("Zvonim:Signaling:MessageTimeout", "00:00:10"));
        using var http = server.Client();
        await using var pair = await ConnectedPairAsync(server, http);
        var call = await CreateAsync(http);
        await using var slow = await WsClient.ConnectAsync(SocketUri(server, call.CallId, call.PeerId), "slow", Attacker);
        await slow.ExpectStateAsync("waiting");

        await slow.Socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"offer","sdp":"v=0"""), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        // Nothing happens while the clock stands still: 200 ms of real time is the window for that absence.
        Assert.NotSame(slow.WhenClosed, await Task.WhenAny(slow.WhenClosed, Task.Delay(200)));
        for (var i = 0; i < 50 && !slow.IsClosed; i++)
        {
            // Moved again in case the server had not started its wait yet; each step returns as soon as it closes.
            time.Advance(TimeSpan.FromSeconds(11));
            await Task.WhenAny(slow.WhenClosed, Task.Delay(100));
        }
        await slow.AssertClosedAsync(1008);
        await AssertRelayAsync(pair.A, pair.B);
    }

    [Fact]
    public async Task Room_links_are_counted_per_day_so_one_address_cannot_fill_the_node_with_links_nobody_uses()
    {
        var time = Clocks.Fake();
        await using var server = Server(time, ("Zvonim:Limits:RoomLinksPerDay", "4"), ("Zvonim:Limits:MaxCalls", "8"));
        using var attacker = server.ClientFrom(Attacker);
        using var neighbour = server.ClientFrom(Neighbour);
        for (var i = 0; i < 4; i++)
        {
            using var created = await attacker.PostAsync("/api/rooms", null);
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        // Well within the minute's allowance of creates, but past the day's of links: 4 a day, the next one in 6 h.
        using var refused = await attacker.PostAsync("/api/rooms", null);
        await AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("21600", refused.Headers.GetValues("Retry-After").Single());
        // The node still has room for everyone else's calls and links.
        await CreateAsync(attacker);
        using (var link = await neighbour.PostAsync("/api/rooms", null)) Assert.Equal(HttpStatusCode.OK, link.StatusCode);

        time.Advance(TimeSpan.FromHours(6));
        using var later = await attacker.PostAsync("/api/rooms", null);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }
}
