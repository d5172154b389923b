using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>
/// Each attack of docs/security.md against the real server process, under a lowered file limit (prlimit), from one
/// address (127.0.0.2), while a neighbour's call (127.0.0.3) relays an offer every 100 ms. Every case asserts what the
/// neighbour and the operator would notice: the node is up, the neighbour's call lost nothing, the attacker got the
/// documented refusal, and the node's memory grew by less than the budget the docs state for one attacking address.
/// </summary>
public sealed class NoisyNeighbourProcessTests(ITestOutputHelper output)
{
    /// <summary>What one address may cost a node at these settings (docs/security.md).</summary>
    private const long RssBudget = 100L * 1024 * 1024;

    private const int FileLimit = 1024;

    private static readonly IPAddress Attacker = SourceAddress.Attacker;

    public enum Attack
    {
        ConnectionFlood,
        CreateFlood,
        SocketFlood,
        InvalidFrames,
        HeldFrames,
    }

    [Theory]
    [InlineData(Attack.ConnectionFlood)]
    [InlineData(Attack.CreateFlood)]
    [InlineData(Attack.SocketFlood)]
    [InlineData(Attack.InvalidFrames)]
    [InlineData(Attack.HeldFrames)]
    public async Task The_attacker_is_refused_and_the_neighbours_call_loses_nothing(Attack attack)
    {
        var port = ServerProcess.FreePort();
        var settings = new Dictionary<string, string>
        {
            ["Serilog__MinimumLevel__Default"] = "Warning",
            ["Zvonim__Limits__MaxConnectionsPerAddress"] = "100",
            ["Zvonim__Limits__MaxSocketsPerAddress"] = "50",
        };
        await using var server = new ServerProcess(settings, FileLimit, "--urls", $"http://127.0.0.1:{port}");
        await server.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30));
        var baseUri = new Uri($"http://127.0.0.1:{port}");
        await using var control = await ControlCall.StartAsync(baseUri, (call, peer) => Socket(port, call, peer), SourceAddress.Neighbour);
        using var attacker = new HttpClient(SourceAddress.Handler(Attacker)) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(20) };
        var rssBefore = server.RssBytes();
        var peak = rssBefore;
        void AtPeak() => peak = Math.Max(peak, server.RssBytes()); // while the attacker still holds what it took

        var refused = attack switch
        {
            Attack.ConnectionFlood => await FloodConnectionsAsync(port, AtPeak),
            Attack.CreateFlood => await FloodCreatesAsync(attacker),
            Attack.SocketFlood => await FloodSocketsAsync(attacker, port, AtPeak),
            Attack.InvalidFrames => await SendInvalidFramesAsync(attacker, port),
            Attack.HeldFrames => await HoldFramesAsync(attacker, port, AtPeak),
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };
        AtPeak();
        var grown = peak - rssBefore;
        await NewCallRelaysAsync(baseUri, port); // and the neighbour can still start a call
        await control.GoesOnAsync();
        var (offers, worstGap) = await control.StopAsync();
        output.WriteLine($"{attack}: {refused}; RSS +{grown / (1024 * 1024)} MB; neighbour's call relayed {offers} offers, longest gap {worstGap.TotalMilliseconds:F0} ms");
        Assert.False(server.HasExited, $"the server died: {server.Stderr}");
        Assert.True(grown < RssBudget, $"RSS grew by {grown / (1024 * 1024)} MB, over the {RssBudget / (1024 * 1024)} MB budget");
        Assert.DoesNotContain("Too many open files", server.Stdout + server.Stderr);
        Assert.DoesNotContain("   at ", server.Stdout + server.Stderr); // no stack trace for anything a client did
    }

    private static async Task NewCallRelaysAsync(Uri baseUri, int port)
    {
        using var neighbour = new HttpClient(SourceAddress.Handler(SourceAddress.Neighbour)) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
        var call = await CreateAsync(neighbour);
        var peerB = await JoinAsync(neighbour, call.CallId);
        await using var a = await WsClient.ConnectAsync(Socket(port, call.CallId, call.PeerId), "neighbour A", SourceAddress.Neighbour);
        await using var b = await WsClient.ConnectAsync(Socket(port, call.CallId, peerB), "neighbour B", SourceAddress.Neighbour);
        await a.ExpectAsync("join");
        await AssertRelayAsync(a, b);
    }

    private static Uri Socket(int port, string callId, string peerId) => new($"ws://127.0.0.1:{port}/apiv2/ws?call_id={callId}&peer_id={peerId}");

    /// <summary>1 500 TCP connections: past 100 the server closes them as they arrive.</summary>
    private static async Task<string> FloodConnectionsAsync(int port, Action atPeak)
    {
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < 1500; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                socket.Bind(new IPEndPoint(Attacker, 0));
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port);
                }
                catch (SocketException)
                {
                    // the listen backlog may refuse some outright: that is a refusal too
                }
            }
            var connected = flood.Count(s => s.Connected);
            var closed = await EventuallyAsync(() => Task.FromResult(flood.Count(ClosedByServer)), n => n >= connected - 100,
                $"all but 100 of the attacker's {connected} connections closed by the server");
            atPeak();
            return $"{closed} of {connected} connections closed by the server";
        }
        finally
        {
            foreach (var socket in flood) socket.Dispose();
        }
    }

    /// <summary>2 000 creates as fast as 16 connections go: 60 a minute pass, the rest are 429 with Retry-After.</summary>
    private static async Task<string> FloodCreatesAsync(HttpClient attacker)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            var mine = new List<(HttpStatusCode, bool)>();
            for (var i = 0; i < 125; i++)
            {
                using var response = await attacker.PostAsync("/apiv2/calls", null);
                mine.Add((response.StatusCode, response.Headers.RetryAfter is not null));
            }
            return mine;
        }));
        var all = statuses.SelectMany(s => s).ToList();
        var created = all.Count(s => s.Item1 == HttpStatusCode.OK);
        Assert.InRange(created, 60, 61 + (int)clock.Elapsed.TotalSeconds); // a burst of 60, and one a second while the flood lasted
        Assert.All(all.Where(s => s.Item1 != HttpStatusCode.OK), s => Assert.Equal((HttpStatusCode.TooManyRequests, true), s));
        return $"{created} created, {all.Count - created} refused 429";
    }

    /// <summary>51 sockets from one address: the 51st is refused 503 before the upgrade.</summary>
    private static async Task<string> FloodSocketsAsync(HttpClient attacker, int port, Action atPeak)
    {
        var held = new List<WsClient>();
        await using var _ = new Disposer(held);
        for (var i = 0; i < 25; i++)
        {
            var call = await CreateAsync(attacker);
            var peerB = await JoinAsync(attacker, call.CallId);
            held.Add(await WsClient.ConnectAsync(Socket(port, call.CallId, call.PeerId), $"held-{i}a", Attacker));
            held.Add(await WsClient.ConnectAsync(Socket(port, call.CallId, peerB), $"held-{i}b", Attacker));
        }
        var extra = await CreateAsync(attacker);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await WsClient.HandshakeRefusedAsync(Socket(port, extra.CallId, extra.PeerId), Attacker));
        atPeak();
        return $"{held.Count} sockets held, the next refused 503";
    }

    /// <summary>200 frames that are not JSON: each answered until the allowance (30 a minute) is spent, then 1008.</summary>
    private static async Task<string> SendInvalidFramesAsync(HttpClient attacker, int port)
    {
        var call = await CreateAsync(attacker);
        await using var noisy = await WsClient.ConnectAsync(Socket(port, call.CallId, call.PeerId), "noisy", Attacker);
        await noisy.ExpectStateAsync("waiting");
        var sent = 0;
        try
        {
            for (; sent < 200 && !noisy.IsClosed; sent++) await noisy.SendTextAsync("not json");
        }
        catch (System.Net.WebSockets.WebSocketException)
        {
            // the server closed it mid-flood
        }
        await noisy.CollectUntilAsync(m => (string?)m["error"] == "too_many_invalid_messages", what: "the error past the allowance");
        await noisy.AssertClosedAsync(1008);
        return $"closed 1008 after {sent} frames sent";
    }

    /// <summary>25 sockets alone in their calls each send 20 frames of 60 KB for a partner who never connects: each
    /// socket's held frames stop at 1 MB, and every frame past that is answered queue_full.</summary>
    private static async Task<string> HoldFramesAsync(HttpClient attacker, int port, Action atPeak)
    {
        var sockets = new List<WsClient>();
        await using var _ = new Disposer(sockets);
        for (var i = 0; i < 25; i++)
        {
            var call = await CreateAsync(attacker);
            await JoinAsync(attacker, call.CallId); // the partner who never connects
            var socket = await WsClient.ConnectAsync(Socket(port, call.CallId, call.PeerId), $"holder-{i}", Attacker);
            await socket.ExpectStateAsync("active");
            sockets.Add(socket);
        }
        var frame = $$"""{"type":"offer","sdp":"{{new string('x', 60 * 1024)}}"}""";
        await Task.WhenAll(sockets.Select(async socket =>
        {
            for (var i = 0; i < 20; i++) await socket.SendTextAsync(frame);
        }));
        var dropped = 0;
        foreach (var socket in sockets)
        {
            // 1 MB holds 17 frames of 60 KB: the other 3 are told queue_full.
            var told = 0;
            var seen = await socket.CollectUntilAsync(m => (string?)m["error"] == "queue_full" && ++told == 3, what: "three queue_full errors");
            Assert.All(seen.Where(m => m.Type == "error"), m => Assert.Equal("queue_full", (string?)m["error"]));
            dropped += told;
        }
        atPeak();
        return $"{dropped} of {25 * 20} frames of 60 KB refused queue_full";
    }

    /// <summary>The peer has closed this connection: it reads as readable with nothing to read.</summary>
    private static bool ClosedByServer(Socket socket)
    {
        try
        {
            return socket.Connected && socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
