using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>
/// A single node restarted (an upgrade: SIGTERM, a new process on the same database) keeps every room link until its
/// expiry and every live call: its participants reconnect with their peer ids within the grace and go on.
/// </summary>
public sealed class RestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zvonim-restart-").FullName;

    private async Task<(ServerProcess Server, HttpClient Http)> StartAsync(int port)
    {
        var server = new ServerProcess(new Dictionary<string, string>
        {
            ["Serilog__MinimumLevel__Default"] = "Information",
            ["Zvonim__Store__Path"] = Path.Combine(_directory, "zvonim.db"),
        }, "--urls", $"http://127.0.0.1:{port}");
        await server.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30));
        return (server, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) });
    }

    private static Uri GroupSocket(int port, JsonObject member) =>
        new($"ws://127.0.0.1:{port}/ws?room_id={member["room_id"]}&user_id={member["user_id"]}&token={member["token"]}");

    private static Uri Socket(int port, string callId, string peerId) => new($"ws://127.0.0.1:{port}/apiv2/ws?call_id={callId}&peer_id={peerId}");

    [Fact]
    public async Task A_restarted_node_keeps_its_room_links_and_its_calls_resume_when_their_people_reconnect()
    {
        var port = ServerProcess.FreePort();
        var (first, http) = await StartAsync(port);
        string token;
        LiveIds live, ended;
        JsonObject alice, bob;
        try
        {
            token = (string)(await OkAsync(await http.PostAsync("/api/rooms", null)))["token"]!;
            var call = await CreateAsync(http);
            live = new LiveIds(call.CallId, call.PeerId, await JoinAsync(http, call.CallId));
            var over = await CreateAsync(http);
            ended = new LiveIds(over.CallId, over.PeerId, await JoinAsync(http, over.CallId));
            await OkAsync(await LeaveAsync(http, over.CallId, over.PeerId));

            alice = await OkAsync(await http.PostAsync("/api/room/join", Json(""" {"user_name":"Alice"} """)));
            bob = await OkAsync(await http.PostAsync("/api/room/join", Json($$""" {"room_id":"{{alice["room_id"]}}","user_name":"Bob"} """)));
            await using var alicesSocket = await WsClient.ConnectAsync(GroupSocket(port, alice), "Alice");
            await using var bobsSocket = await WsClient.ConnectAsync(GroupSocket(port, bob), "Bob");
            await alicesSocket.ExpectAsync("user-joined", m => (string?)m["user_id"] == (string?)bob["user_id"]);

            await using var a = await WsClient.ConnectAsync(Socket(port, live.CallId, live.A), "A");
            await using var b = await WsClient.ConnectAsync(Socket(port, live.CallId, live.B), "B");
            await a.ExpectAsync("join");
            await AssertRelayAsync(a, b);

            first.Terminate(); // as systemctl stop or an upgrade does
            await a.AssertClosedAsync(1001);
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        catch
        {
            output.WriteLine(first.Stdout);
            throw;
        }
        finally
        {
            http.Dispose();
            await first.DisposeAsync();
        }

        var (second, again) = await StartAsync(port);
        await using var _ = second;
        using var __ = again;
        try
        {
            var room = await OkAsync(await again.GetAsync($"/api/rooms/{token}"));
            Assert.Equal("waiting", (string?)room["state"]);
            var status = await StatusAsync(again, live.CallId);
            Assert.Equal(("active", 2, 0), ((string?)status["status"], (int)status["participants"]!["count"]!, (int)status["participants"]!["connected"]!));
            // A call that had ended is not brought back.
            await AssertErrorAsync(await again.GetAsync($"/apiv2/calls/{ended.CallId}"), HttpStatusCode.NotFound, "not_found");

            await using var a = await WsClient.ConnectAsync(Socket(port, live.CallId, live.A), "A again");
            await using var b = await WsClient.ConnectAsync(Socket(port, live.CallId, live.B), "B again");
            await a.ExpectStateAsync("active", 2, 2);
            await AssertRelayAsync(a, b);
            await AssertRelayAsync(b, a);
            // The link room still connects people.
            await using var x = await WsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws/rooms/{token}"), "X");
            await x.ExpectAsync("joined");

            // The group room knows its members and their tokens: both come back and talk.
            await using var ga = await WsClient.ConnectAsync(GroupSocket(port, alice), "Alice again");
            await using var gb = await WsClient.ConnectAsync(GroupSocket(port, bob), "Bob again");
            await ga.ExpectAsync("user-joined", m => (string?)m["user_id"] == (string?)bob["user_id"]);
            await gb.SendTextAsync($$""" {"type":"offer","to":"{{alice["user_id"]}}","sdp":"v=0 after the restart"} """);
            Assert.Contains("after the restart", (await ga.ExpectAsync("offer")).Raw);
        }
        catch
        {
            output.WriteLine(second.Stdout);
            throw;
        }
    }

    private sealed record LiveIds(string CallId, string A, string B);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // left in the temp folder
        }
    }
}
