using Zvonim.Tests.Web;
using static Zvonim.Tests.Contracts.GroupRoomKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Signaling;

/// <summary>
/// Real sockets streaming frames while the room changes under them: whether a frame goes through the actors or the
/// read loop's short way, a participant gets every frame meant for it, once and in the order it was sent.
/// </summary>
public sealed class RelayOrderTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const int Frames = 2000;

    private ZvonimServer Server => shared.Server;

    private static string Candidate(int n) => $$"""{"type":"ice-candidate","to":"all","candidate":"candidate:{{n}} 1 udp 1 10.0.0.1 9 typ host"}""";

    private static int Number(WsMessage frame) => int.Parse(((string)frame["candidate"]!).Split(' ')[0]["candidate:".Length..]);

    /// <summary>The frames from the stream among everything <paramref name="socket"/> heard, up to the last one.</summary>
    private static async Task<List<int>> StreamAsync(WsClient socket) =>
        (await socket.CollectUntilAsync(m => m.Type == "ice-candidate" && Number(m) == Frames - 1, what: $"frame {Frames - 1}"))
        .Where(m => m.Type == "ice-candidate").Select(Number).ToList();

    /// <summary>
    /// What a newcomer gets of a stream: in order, once each, to the last frame; a frame is missing only if the server
    /// dropped it while holding frames for the newcomer's socket (at most PendingLimit) and told the sender so.
    /// </summary>
    private static async Task AssertInOrderOrToldAsync(WsClient sender, List<int> got, int? first = null)
    {
        Assert.Equal(Frames - 1, got[^1]);
        Assert.True(got.Zip(got.Skip(1)).All(p => p.First < p.Second), $"out of order or twice: {string.Join(",", got)}");
        if (first is { } expected) Assert.Equal(expected, got[0]);
        var missing = Frames - got[0] - got.Count;
        // A frame to nobody is answered by the sender's actor after every earlier answer: what came before it is all.
        await sender.SendTextAsync("""{"type":"ice-candidate","to":"nobody","candidate":"barrier"}""");
        var heard = await sender.CollectUntilAsync(m => IsError(m, "invalid_target"), what: "the barrier's error");
        Assert.Equal(missing, heard.Count(m => IsError(m, "queue_full")));
    }

    private static bool IsError(WsMessage message, string error) => message.Type == "error" && (string?)message["error"] == error;

    [Fact]
    public async Task A_member_joining_mid_stream_gets_an_unbroken_tail_and_the_others_miss_nothing()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var (a, b) = (sockets[0], sockets[1]);

        var carol = await JoinRoomAsync(http, members[0].RoomId, "Carol");
        WsClient? c = null;
        for (var i = 0; i < Frames; i++)
        {
            await a.SendTextAsync(Candidate(i));
            // While the stream flows, and before more frames wait for her than the server holds (PendingLimit, 256).
            if (i == 100) c = await ConnectAsync(Server, carol);
        }
        await using var __ = c!;

        Assert.Equal(Enumerable.Range(0, Frames), await StreamAsync(b));
        // Carol joined the room before the stream began: frames for her were held until her socket came.
        await AssertInOrderOrToldAsync(a, await StreamAsync(c!), first: 0);
    }

    [Fact]
    public async Task A_member_arriving_mid_stream_gets_an_unbroken_tail()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var (a, b) = (sockets[0], sockets[1]);

        WsClient? c = null;
        for (var i = 0; i < Frames; i++)
        {
            await a.SendTextAsync(Candidate(i));
            if (i == Frames / 2) c = await ConnectAsync(Server, await JoinRoomAsync(http, members[0].RoomId, "Carol"));
        }
        await using var __ = c!;

        Assert.Equal(Enumerable.Range(0, Frames), await StreamAsync(b));
        await AssertInOrderOrToldAsync(a, await StreamAsync(c!));
    }

    [Fact]
    public async Task A_receiver_that_reconnects_mid_stream_gets_an_unbroken_tail_on_its_new_socket()
    {
        using var http = Server.Client();
        var (members, sockets) = await MeshAsync(Server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var a = sockets[0];

        WsClient? again = null;
        for (var i = 0; i < Frames; i++)
        {
            await a.SendTextAsync(Candidate(i));
            if (i == Frames / 2) again = await ConnectAsync(Server, members[1]); // Bob's new socket replaces the old
        }
        await using var __ = again!;

        var tail = await StreamAsync(again!);
        Assert.Equal(Enumerable.Range(tail[0], Frames - tail[0]), tail);
    }
}
