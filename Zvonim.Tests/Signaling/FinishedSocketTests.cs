using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using Zvonim.Bench.Micro;
using Zvonim.Tests.TestKit;
using Zvonim.Web.Signaling;

namespace Zvonim.Tests.Signaling;

/// <summary>
/// A socket that closed the ordinary way is let go at once. Its close armed a deadline (a client that never answers
/// the close is dropped after <see cref="SocketConnection.CloseTimeout"/>); left armed after the close had finished,
/// that timer kept every closed WebSocket, and what Kestrel hangs off it, alive for five more seconds. At several
/// hundred setups a second that is thousands of dead sockets pushed into the older generations, which the background
/// GC then walks: a quarter of a setup's CPU in the setup profile (docs/benchmarks.md).
/// </summary>
public sealed class FinishedSocketTests
{
    /// <summary>What the bridge does with a socket whose call ended: the server closes it, the client answers, the
    /// reader ends, and the connection is disposed.</summary>
    private static async Task CloseTheOrdinaryWayAsync(SocketConnection connection)
    {
        connection.CloseAfterQueued(WebSocketCloseStatus.NormalClosure, "The call ended.");
        connection.Complete();
        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        connection.Dispose();
    }

    [Fact]
    public async Task A_socket_closed_the_ordinary_way_is_not_held_for_the_close_deadline()
    {
        var time = Clocks.Fake();
        var released = await CloseOneAsync(time);

        // The clock has not moved: nothing but an armed deadline could still be holding the socket.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(released.IsAlive, "the closed socket is still held (its close deadline is still armed)");
    }

    [Fact]
    public async Task A_socket_closed_the_ordinary_way_is_not_aborted_when_the_deadline_would_have_come()
    {
        var time = Clocks.Fake();
        var socket = new NullWebSocket();
        var connection = new SocketConnection(socket, Apiv2Dialect.Instance, sendQueueLimit: 512, time);
        await CloseTheOrdinaryWayAsync(connection);

        time.Advance(SocketConnection.CloseTimeout * 2);

        Assert.Equal(WebSocketState.CloseSent, socket.State);
    }

    [Fact]
    public async Task A_close_the_client_never_answers_is_still_dropped_at_the_deadline()
    {
        var time = Clocks.Fake();
        var socket = new NullWebSocket();
        var connection = new SocketConnection(socket, Apiv2Dialect.Instance, sendQueueLimit: 512, time);
        connection.CloseAfterQueued(WebSocketCloseStatus.NormalClosure, "The call ended.");
        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(10)); // the close frame is out; the reader still waits

        time.Advance(SocketConnection.CloseTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(WebSocketState.CloseSent, socket.State);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(WebSocketState.Aborted, socket.State);
        Assert.True(connection.Aborted.IsCancellationRequested);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> CloseOneAsync(FakeTimeProvider time)
    {
        var socket = new NullWebSocket();
        var connection = new SocketConnection(socket, Apiv2Dialect.Instance, sendQueueLimit: 512, time);
        await CloseTheOrdinaryWayAsync(connection);
        return new WeakReference(socket);
    }
}
