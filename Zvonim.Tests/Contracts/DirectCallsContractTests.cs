using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Zvonim.Tests.TestKit;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Contracts;

/// <summary>
/// Seed 002, calls between signed-in users (base /api/v1): POST /calls {calleeId} → 201 {callId, status: "created"} and
/// the callee's devices get call:incoming {callId, from}; call:accept on the callee's socket; webrtc:offer / answer /
/// ice-candidate relayed untouched between the caller's socket and the accepting one; POST /calls/:id/end; call:end
/// {callId, reason} to both. Errors 401 / 403 / 404 / 409 / 400 as the seed's table says.
/// </summary>
public sealed class DirectCallsContractTests
{
    private static string Offer(string callId) => $$"""{"type":"webrtc:offer","callId":"{{callId}}","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}""";

    private static string Answer(string callId) => $$"""{"type":"webrtc:answer","callId":"{{callId}}","sdp":"v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}""";

    private static string Candidate(string callId) =>
        $$$"""{"type":"webrtc:ice-candidate","callId":"{{{callId}}}","candidate":{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}}""";

    private static string Say(string type, string callId) => $$"""{"type":"{{type}}","callId":"{{callId}}"}""";

    /// <summary>Rings, accepts, and waits for the caller to hear it: an active call between two devices.</summary>
    public static async Task<string> AnsweredCallAsync(SignedInUser caller, WsClient callerDevice, SignedInUser callee, WsClient calleeDevice)
    {
        var callId = await caller.CallAsync(callee);
        var incoming = await calleeDevice.ExpectAsync("call:incoming");
        Assert.Equal((callId, caller.Name, caller.Id), ((string?)incoming["callId"], (string?)incoming["from"], (string?)incoming["fromId"]));
        await calleeDevice.SendTextAsync(Say("call:accept", callId));
        await callerDevice.ExpectAsync("call:accept", m => (string?)m["callId"] == callId);
        return callId;
    }

    [Fact]
    public async Task Ring_accept_relay_both_ways_untouched_and_hang_up()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        await using var annaPhone = await anna.DeviceAsync();
        await using var borisPhone = await boris.DeviceAsync();

        var callId = await anna.CallAsync(boris);
        var incoming = await borisPhone.ReceiveAsync("call:incoming");
        Assert.Equal((callId, "anna", anna.Id), ((string?)incoming["callId"], (string?)incoming["from"], (string?)incoming["fromId"]));
        var ringing = await anna.GetCallAsync(callId);
        Assert.Equal(("ringing", anna.Id, boris.Id), ((string?)ringing["status"], (string?)ringing["callerId"], (string?)ringing["calleeId"]));

        await borisPhone.SendTextAsync(Say("call:accept", callId));
        Assert.Equal(callId, (string?)(await annaPhone.ReceiveAsync("call:accept"))["callId"]);
        Assert.Equal("active", (string?)(await boris.GetCallAsync(callId))["status"]);

        await annaPhone.SendTextAsync(Offer(callId));
        Assert.Equal(Offer(callId), (await borisPhone.ReceiveAsync()).Raw);
        await borisPhone.SendTextAsync(Answer(callId));
        await borisPhone.SendTextAsync(Candidate(callId));
        Assert.Equal(Answer(callId), (await annaPhone.ReceiveAsync()).Raw);
        Assert.Equal(Candidate(callId), (await annaPhone.ReceiveAsync()).Raw);

        Assert.Equal("ended", (string?)(await anna.EndCallAsync(callId))["status"]);
        foreach (var device in new[] { annaPhone, borisPhone })
        {
            var end = await device.ExpectAsync("call:end");
            Assert.Equal((callId, "completed"), ((string?)end["callId"], (string?)end["reason"]));
        }
        var ended = await boris.GetCallAsync(callId);
        Assert.Equal(("ended", "completed"), ((string?)ended["status"], (string?)ended["reason"]));
        Assert.Equal("ended", (string?)(await boris.EndCallAsync(callId))["status"]); // hanging up twice is harmless
        Assert.False(annaPhone.IsClosed || borisPhone.IsClosed, "a call's end does not close the user's socket");
    }

    [Fact]
    public async Task The_socket_opens_with_each_token_form_and_refuses_none_forged_or_expired_with_401()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = Server(time, ("Zvonim:Accounts:TokenLifetime", "01:00:00"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var ws = server.WebSocketUri("/api/v1/ws");

        await using (var header = await anna.DeviceAsync()) { }
        await using (var query = await WsClient.ConnectAsync(server.WebSocketUri($"/api/v1/ws?access_token={anna.Token}"), "query", _ => { }))
            Assert.Equal(anna.Id, (string?)(await query.ReceiveAsync("ready"))["userId"]);
        await using (var protocol = await WsClient.ConnectAsync(ws, "subprotocol", o =>
        {
            o.AddSubProtocol("access_token");
            o.AddSubProtocol(anna.Token);
        }))
        {
            Assert.Equal("access_token", protocol.Socket.SubProtocol); // the token is never echoed back
            Assert.Equal(anna.Id, (string?)(await protocol.ReceiveAsync("ready"))["userId"]);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(ws));
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "zvonim", Audience = "zvonim", Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = anna.Id },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(new byte[32]), SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"/api/v1/ws?access_token={forged}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(ws, configure: o => o.SetRequestHeader("Authorization", $"Bearer {forged}")));
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(server.WebSocketUri($"/api/v1/ws?access_token={anna.Token}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await WsClient.HandshakeRefusedAsync(ws, configure: o =>
        {
            o.AddSubProtocol("access_token");
            o.AddSubProtocol(anna.Token);
        }));
    }

    [Fact]
    public async Task The_callee_rejects_the_caller_cancels_nobody_answers_or_nobody_is_online_and_both_hear_why()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = Server(time, ("Zvonim:DirectCalls:RingTimeout", "00:00:40"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var carol = await SignedInUser.RegisterAsync(server, http, "carol"); // never online
        await using var annaPhone = await anna.DeviceAsync();
        await using var borisPhone = await boris.DeviceAsync();

        async Task AssertEndedAsync(string callId, string reason, params WsClient[] devices)
        {
            foreach (var device in devices)
            {
                var end = await device.ExpectAsync("call:end", m => (string?)m["callId"] == callId);
                Assert.Equal(reason, (string?)end["reason"]);
            }
            var call = await anna.GetCallAsync(callId);
            Assert.Equal(("ended", reason), ((string?)call["status"], (string?)call["reason"]));
        }

        var rejected = await anna.CallAsync(boris);
        await borisPhone.ExpectAsync("call:incoming");
        await borisPhone.SendTextAsync(Say("call:reject", rejected));
        await AssertEndedAsync(rejected, "rejected", annaPhone, borisPhone);

        var canceled = await anna.CallAsync(boris);
        await borisPhone.ExpectAsync("call:incoming");
        await anna.EndCallAsync(canceled);
        await AssertEndedAsync(canceled, "canceled", annaPhone, borisPhone);

        var unanswered = await anna.CallAsync(boris);
        await borisPhone.ExpectAsync("call:incoming");
        Assert.Equal("ringing", (string?)(await anna.GetCallAsync(unanswered))["status"]);
        time.Advance(TimeSpan.FromSeconds(39));
        Assert.Equal("ringing", (string?)(await anna.GetCallAsync(unanswered))["status"]);
        time.Advance(TimeSpan.FromSeconds(1));
        await AssertEndedAsync(unanswered, "no_answer", annaPhone, borisPhone);

        var unavailable = await anna.CallAsync(carol);
        await AssertEndedAsync(unavailable, "unavailable", annaPhone);
    }

    [Fact]
    public async Task Every_device_rings_the_first_accept_wins_and_the_others_hear_it_was_answered_elsewhere()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        await using var annaPhone = await anna.DeviceAsync();
        await using var borisPhone = await boris.DeviceAsync("boris's phone");
        await using var borisLaptop = await boris.DeviceAsync("boris's laptop");

        var callId = await anna.CallAsync(boris);
        await borisPhone.ExpectAsync("call:incoming");
        await borisLaptop.ExpectAsync("call:incoming");
        await using var borisTablet = await boris.DeviceAsync("boris's tablet"); // opened while it rings: it rings too
        await borisTablet.ExpectAsync("call:incoming", m => (string?)m["callId"] == callId);

        await borisPhone.SendTextAsync(Say("call:accept", callId));
        await annaPhone.ExpectAsync("call:accept");
        foreach (var other in new[] { borisLaptop, borisTablet })
            Assert.Equal("answered_elsewhere", (string?)(await other.ExpectAsync("call:end"))["reason"]);

        // The laptop can neither take the call nor speak in it; what anna says reaches the phone only.
        await borisLaptop.SendTextAsync(Say("call:accept", callId));
        await borisLaptop.SendTextAsync(Answer(callId));
        var refused = await borisLaptop.ExpectAsync("error");
        AssertErrorFrame(refused, "answered_elsewhere");
        Assert.Equal(callId, (string?)refused["callId"]);
        await annaPhone.SendTextAsync(Offer(callId));
        Assert.Equal(Offer(callId), (await borisPhone.ReceiveAsync()).Raw);
        await borisPhone.SendTextAsync(Answer(callId));
        Assert.Equal(Answer(callId), (await annaPhone.ReceiveAsync()).Raw);
        await anna.EndCallAsync(callId);
        await borisPhone.ExpectAsync("call:end");
        Assert.DoesNotContain(borisLaptop.Received, m => m.Raw == Offer(callId));
        Assert.DoesNotContain(borisTablet.Received, m => m.Raw == Offer(callId));
    }

    [Fact]
    public async Task The_seeds_errors_unauthorized_forbidden_not_found_busy_glare_and_bad_requests()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        var carol = await SignedInUser.RegisterAsync(server, http, "carol");
        var dmitri = await SignedInUser.RegisterAsync(server, http, "dmitri");
        await using var annaPhone = await anna.DeviceAsync();
        await using var borisPhone = await boris.DeviceAsync();
        await using var carolPhone = await carol.DeviceAsync();

        await AssertErrorAsync(await http.PostAsync("/api/v1/calls", Json($$"""{"calleeId":"{{boris.Id}}"}""")), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertErrorAsync(await http.GetAsync("/api/v1/calls/whatever"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{anna.Id}}"}"""), HttpStatusCode.BadRequest, "invalid_request");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/calls", "{}"), HttpStatusCode.BadRequest, "invalid_request");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/calls", """{"calleeId": 7}"""), HttpStatusCode.BadRequest, "invalid_json");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{Guid.NewGuid()}}"}"""), HttpStatusCode.NotFound, "user_not_found");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Get, "/api/v1/calls/no-such-call"), HttpStatusCode.NotFound, "not_found");
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/calls/no-such-call/end"), HttpStatusCode.NotFound, "not_found");

        var callId = await AnsweredCallAsync(anna, annaPhone, boris, borisPhone);
        await AssertErrorAsync(await carol.SendAsync(HttpMethod.Get, $"/api/v1/calls/{callId}"), HttpStatusCode.Forbidden, "forbidden");
        await AssertErrorAsync(await carol.SendAsync(HttpMethod.Post, $"/api/v1/calls/{callId}/end"), HttpStatusCode.Forbidden, "forbidden");
        await carolPhone.SendTextAsync(Offer(callId)); // carol's socket cannot join someone else's call
        Assert.Equal(callId, (string?)(await carolPhone.ExpectAsync("error", m => (string?)m["error"] == "unknown_peer"))["callId"]);
        Assert.Equal("active", (string?)(await anna.GetCallAsync(callId))["status"]);

        var busy = await AssertErrorAsync(await carol.SendAsync(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{boris.Id}}"}"""), HttpStatusCode.Conflict, "busy");
        Assert.Contains("another call", (string?)busy["message"]);
        await AssertErrorAsync(await anna.SendAsync(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{carol.Id}}"}"""), HttpStatusCode.Conflict, "busy");
        await borisPhone.SendTextAsync(Say("call:accept", callId));
        AssertErrorFrame(await borisPhone.ExpectAsync("error"), "answered_elsewhere");
        await anna.EndCallAsync(callId);

        // Glare: carol calls dmitri while dmitri calls carol: one call, and dmitri is told which one to accept.
        await using var dmitriPhone = await dmitri.DeviceAsync();
        var carolsCall = await carol.CallAsync(dmitri);
        var glare = await AssertErrorAsync(await dmitri.SendAsync(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{carol.Id}}"}"""), HttpStatusCode.Conflict, "glare");
        Assert.Equal(carolsCall, (string?)glare["callId"]);
        await dmitriPhone.ExpectAsync("call:incoming", m => (string?)m["callId"] == carolsCall);
        await dmitriPhone.SendTextAsync(Say("call:accept", carolsCall));
        await carolPhone.ExpectAsync("call:accept", m => (string?)m["callId"] == carolsCall);

        // Socket mistakes are error frames; the socket goes on.
        await annaPhone.SendTextAsync("""{"type":"webrtc:offer","sdp":"x"}""");
        AssertErrorFrame(await annaPhone.ExpectAsync("error"), "invalid_message");
        await annaPhone.SendTextAsync("""{"type":"call:dance","callId":"x"}""");
        AssertErrorFrame(await annaPhone.ExpectAsync("error"), "unknown_type");
        await annaPhone.SendTextAsync("not json");
        AssertErrorFrame(await annaPhone.ExpectAsync("error"), "invalid_json");
        await annaPhone.SendTextAsync(Offer(carolsCall));
        AssertErrorFrame(await annaPhone.ExpectAsync("error"), "unknown_peer");
        var before = await boris.CallAsync(anna); // the socket still works: a new call rings it
        await annaPhone.SendTextAsync(Offer(before)); // nothing flows before the answer
        var early = await annaPhone.ExpectAsync("error", m => (string?)m["callId"] == before);
        AssertErrorFrame(early, "not_answered");
    }

    [Fact]
    public async Task A_device_that_keeps_sending_frames_for_calls_that_do_not_exist_is_closed_and_may_come_back()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        await using var annaPhone = await anna.DeviceAsync();

        // Each frame for an unknown call is a lookup (in a cluster, a read of the store): answered, up to an allowance.
        for (var i = 0; i < Zvonim.Actors.Users.DeviceActor.RefusalsPerMinute; i++)
        {
            await annaPhone.SendTextAsync(Candidate($"guess-{i}"));
            Assert.Equal($"guess-{i}", (string?)(await annaPhone.ExpectAsync("error", m => (string?)m["error"] == "not_found"))["callId"]);
        }
        await annaPhone.SendTextAsync(Candidate("one-too-many"));
        await annaPhone.AssertClosedAsync(1008);

        // Nothing lasting: her next socket is ready as before.
        await using var again = await anna.DeviceAsync();
    }

    [Fact]
    public async Task Two_people_calling_each_other_at_the_same_moment_get_one_call_every_time()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        await using var annaPhone = await anna.DeviceAsync();
        await using var borisPhone = await boris.DeviceAsync();
        for (var round = 0; round < 20; round++)
        {
            using var start = new SemaphoreSlim(0);
            async Task<HttpResponseMessage> CallAsync(SignedInUser from, SignedInUser to)
            {
                var request = from.Request(HttpMethod.Post, "/api/v1/calls", $$"""{"calleeId":"{{to.Id}}"}""");
                await start.WaitAsync();
                return await http.SendAsync(request);
            }
            var both = new[] { CallAsync(anna, boris), CallAsync(boris, anna) };
            start.Release(2);
            var answers = await Task.WhenAll(both);
            var placed = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
            var other = Assert.Single(answers, a => a.StatusCode != HttpStatusCode.Created);
            var callId = (string)(await placed.JsonAsync())["callId"]!;
            var glare = await AssertErrorAsync(other, HttpStatusCode.Conflict, "glare");
            Assert.Equal(callId, (string?)glare["callId"]);
            var caller = placed == answers[0] ? anna : boris;
            await caller.EndCallAsync(callId);
            foreach (var device in new[] { annaPhone, borisPhone }) await device.ExpectAsync("call:end", m => (string?)m["callId"] == callId);
        }
    }

    [Fact]
    public async Task A_dropped_socket_keeps_its_seat_for_the_grace_and_a_token_expiring_mid_call_does_not_cut_it()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        await using var server = Server(time, ("Zvonim:Accounts:TokenLifetime", "01:00:00"), ("Zvonim:DirectCalls:ReconnectGrace", "00:00:30"));
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        await using var annaPhone = await anna.DeviceAsync();
        var borisPhone = await boris.DeviceAsync();
        var callId = await AnsweredCallAsync(anna, annaPhone, boris, borisPhone);
        await annaPhone.SendTextAsync(Offer(callId));
        await borisPhone.ReceiveAsync();

        time.Advance(TimeSpan.FromHours(2)); // both tokens expire; the call and its sockets go on
        await borisPhone.SendTextAsync(Answer(callId));
        Assert.Equal(Answer(callId), (await annaPhone.ReceiveAsync()).Raw);

        // Boris's network drops; within the grace he is back (with a fresh token) and the call goes on.
        anna = await anna.LogInAgainAsync();
        borisPhone.Abort();
        await borisPhone.DisposeAsync();
        await EventuallyAsync(() => IsOnlineAsync(anna, "boris"), online => !online, "the server to see boris's socket gone");
        time.Advance(TimeSpan.FromSeconds(20));
        await using var borisAgain = await (await boris.LogInAgainAsync()).DeviceAsync();
        await borisAgain.SendTextAsync(Answer(callId));
        Assert.Equal(Answer(callId), (await annaPhone.ReceiveAsync()).Raw);
        Assert.Equal("active", (string?)(await anna.GetCallAsync(callId))["status"]);

        // Dropped again and not back within the grace: the call fails, and anna hears it.
        borisAgain.Abort();
        await EventuallyAsync(() => IsOnlineAsync(anna, "boris"), online => !online, "the server to see boris's socket gone again");
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("active", (string?)(await anna.GetCallAsync(callId))["status"]);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("failed", (string?)(await annaPhone.ExpectAsync("call:end"))["reason"]);
    }

    private static async Task<Dictionary<string, bool>> OnlineAsync(SignedInUser asking)
    {
        using var response = await asking.SendAsync(HttpMethod.Get, "/api/v1/users");
        var users = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray();
        return users.ToDictionary(u => u.GetProperty("username").GetString()!, u => u.GetProperty("online").GetBoolean());
    }

    private static async Task<bool> IsOnlineAsync(SignedInUser asking, string name) => (await OnlineAsync(asking))[name];

    [Fact]
    public async Task The_user_list_shows_who_is_online()
    {
        await using var server = Server();
        using var http = server.Client();
        var anna = await SignedInUser.RegisterAsync(server, http, "anna");
        var boris = await SignedInUser.RegisterAsync(server, http, "boris");
        await SignedInUser.RegisterAsync(server, http, "carol");
        await using var borisPhone = await boris.DeviceAsync();

        Assert.Equal(new Dictionary<string, bool> { ["anna"] = false, ["boris"] = true, ["carol"] = false }, await OnlineAsync(anna));
        await borisPhone.DisposeAsync();
        await EventuallyAsync(() => OnlineAsync(anna), online => !online["boris"], "boris to be offline once his socket closed");
    }
}
