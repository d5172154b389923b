using Zvonim.Tests.Web;
using static Zvonim.Tests.Contracts.GroupRoomKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Signaling;

/// <summary>
/// Real sockets streaming frames while the room changes under them: whether a frame goes through the actors or the
/// read loop's short way, a participant gets every frame meant for it, once and in the order it was sent. Each test
/// runs with the lane (the default, on the shared server) and without it (Zvonim:Signaling:RelayLane off).
/// </summary>
public sealed class RelayOrderTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const int Frames = 2000;

    private static string Candidate(int n) => $$"""{"type":"ice-candidate","to":"all","candidate":"candidate:{{n}} 1 udp 1 10.0.0.1 9 typ host"}""";

    private static int Number(WsMessage frame) => int.Parse(((string)frame["candidate"]!).Split(' ')[0]["candidate:".Length..]);

    /// <summary>The frames from the stream among everything <paramref name="socket"/> heard, up to the last one.</summary>
    private static async Task<List<int>> ReceivedAsync(WsClient socket) =>
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

    /// <summary>Alice and Bob in a room; Alice streams <see cref="Frames"/> candidates to everyone, and before each
    /// one <paramref name="beforeFrame"/> may change the room (it returns the newcomer's socket when it opens one).
    /// Then <paramref name="check"/> looks at what everyone got.</summary>
    private async Task StreamAsync(bool lane, Func<Room, int, Task<WsClient?>> beforeFrame, Func<Room, WsClient, Task> check)
    {
        // With the lane (the default) on the shared server; without it on a server of the test's own, with the default
        // send queue (512): frames that wait in a starved receiver's mailbox hold the sender's reader back (PeerRoutes),
        // so what one sender can put before the newcomer (its held frames, at most PendingLimit 256, and 32 more) fits
        // the queue even when the whole suite runs at once.
        await using var own = lane ? null : HttpKit.Server(("Zvonim:Signaling:RelayLane", "false"));
        var server = own ?? shared.Server;
        using var http = server.Client();
        var (members, sockets) = await MeshAsync(server, http, "Alice", "Bob");
        await using var _ = new Disposer(sockets);
        var room = new Room(server, http, members, sockets[0], sockets[1]);
        WsClient? newcomer = null;
        for (var i = 0; i < Frames; i++)
        {
            newcomer = await beforeFrame(room, i) ?? newcomer;
            await room.A.SendTextAsync(Candidate(i));
        }
        await using var __ = newcomer!;
        await check(room, newcomer!);
    }

    private sealed record Room(ZvonimServer Server, HttpClient Http, Member[] Members, WsClient A, WsClient B);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_member_joining_mid_stream_gets_an_unbroken_tail_and_the_others_miss_nothing(bool lane)
    {
        Member? carol = null;
        await StreamAsync(lane, async (room, i) =>
            {
                if (i == 0) carol = await JoinRoomAsync(room.Http, room.Members[0].RoomId, "Carol");
                // While the stream flows, and before more frames wait for her than the server holds (PendingLimit, 256).
                return i == 100 ? await ConnectAsync(room.Server, carol!) : null;
            },
            async (room, c) =>
            {
                Assert.Equal(Enumerable.Range(0, Frames), await ReceivedAsync(room.B));
                // Carol joined the room before the stream began: frames for her were held until her socket came.
                await AssertInOrderOrToldAsync(room.A, await ReceivedAsync(c), first: 0);
            });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task A_member_arriving_mid_stream_gets_an_unbroken_tail(bool lane) =>
        StreamAsync(lane, async (room, i) =>
                i == Frames / 2 ? await ConnectAsync(room.Server, await JoinRoomAsync(room.Http, room.Members[0].RoomId, "Carol")) : null,
            async (room, c) =>
            {
                Assert.Equal(Enumerable.Range(0, Frames), await ReceivedAsync(room.B));
                await AssertInOrderOrToldAsync(room.A, await ReceivedAsync(c));
            });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task A_receiver_that_reconnects_mid_stream_gets_an_unbroken_tail_on_its_new_socket(bool lane) =>
        StreamAsync(lane, async (room, i) => i == Frames / 2 ? await ConnectAsync(room.Server, room.Members[1]) : null, // Bob's new socket
            async (_, again) =>
            {
                var tail = await ReceivedAsync(again);
                Assert.Equal(Enumerable.Range(tail[0], Frames - tail[0]), tail);
            });
}
