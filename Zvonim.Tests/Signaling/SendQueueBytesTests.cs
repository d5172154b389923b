using System.Net.WebSockets;
using Zvonim.Actors.Peers;
using Zvonim.Tests.TestKit;
using Zvonim.Web.Limits;
using Zvonim.Web.Signaling;

namespace Zvonim.Tests.Signaling;

/// <summary>
/// A socket's send queue is bounded in bytes as well as in frames: a few large frames to a client that does not read
/// congest it at a quarter of the bytes (so its senders pause) and close it past all of them, long before the frame
/// count would (512 frames of 64 KB would be 32 MB).
/// </summary>
public sealed class SendQueueBytesTests
{
    /// <summary>A client whose reading has stopped: the first send never completes until the test says so.</summary>
    private sealed class StuckWebSocket : WebSocket
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Sends;

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sends);
            return new ValueTask(_released.Task.WaitAsync(cancellationToken));
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

        public void Release() => _released.TrySetResult();

        public override WebSocketCloseStatus? CloseStatus => null;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => WebSocketState.Open;

        public override string? SubProtocol => null;

        public override void Abort() => Release();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            Task.FromException<WebSocketReceiveResult>(new NotSupportedException());

        public override void Dispose()
        {
        }
    }

    private static SignalEvent Frame(int bytes) => new("a", SignalKind.IceCandidate, new byte[bytes]);

    [Fact]
    public async Task Large_frames_congest_the_queue_at_a_quarter_of_its_bytes_and_close_it_past_all_of_them()
    {
        var time = Clocks.Fake();
        var socket = new StuckWebSocket();
        var connection = new SocketConnection(socket, Apiv2Dialect.Instance, sendQueueLimit: 512, time, TimeSpan.FromSeconds(10), sendQueueBytes: 400_000);
        var congestion = new List<bool>();
        connection.CongestionChanged = congested => { lock (congestion) congestion.Add(congested); };

        connection.Send(Frame(50_000)); // in flight, stuck
        for (var i = 0; i < 2; i++) connection.Send(Frame(50_000)); // 100 000 queued: at a quarter of the bytes
        Assert.Equal([true], congestion);
        Assert.False(connection.Aborted.IsCancellationRequested);

        for (var i = 0; i < 6; i++) connection.Send(Frame(50_000)); // 400 000 queued: still within the limit
        Assert.False(connection.Completion.IsCompleted);
        connection.Send(Frame(50_000)); // one more is past it: the client is closed without what it did not read
        time.Advance(SocketConnection.CloseTimeout);
        Assert.True(connection.Aborted.IsCancellationRequested);
        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, socket.Sends); // 9 frames of 50 KB, far below 512 frames, never reached the socket
    }

    [Fact]
    public async Task Small_frames_within_the_byte_budget_are_all_sent_in_order_once_the_client_reads()
    {
        var socket = new StuckWebSocket();
        var connection = new SocketConnection(socket, Apiv2Dialect.Instance, sendQueueLimit: 512, Clocks.Fake(), TimeSpan.FromSeconds(10), sendQueueBytes: 400_000);
        for (var i = 0; i < 50; i++) connection.Send(Frame(1_000));
        socket.Release();
        await Task.Run(async () =>
        {
            while (Volatile.Read(ref socket.Sends) < 50) await Task.Delay(10);
        }).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(connection.Aborted.IsCancellationRequested);
    }

    [Fact]
    public async Task Queues_past_the_nodes_budget_congest_whichever_socket_queues_more_and_every_frame_still_arrives()
    {
        var time = Clocks.Fake();
        var node = new SendQueueBudget(200_000);
        StuckWebSocket first = new(), second = new();
        var one = new SocketConnection(first, Apiv2Dialect.Instance, sendQueueLimit: 512, time, TimeSpan.FromSeconds(10), sendQueueBytes: 8_000_000, node);
        var two = new SocketConnection(second, Apiv2Dialect.Instance, sendQueueLimit: 512, time, TimeSpan.FromSeconds(10), sendQueueBytes: 8_000_000, node);
        var congestion = new List<(int Socket, bool Congested)>();
        one.CongestionChanged = congested => { lock (congestion) congestion.Add((1, congested)); };
        two.CongestionChanged = congested => { lock (congestion) congestion.Add((2, congested)); };

        one.Send(Frame(10_000)); // in flight
        for (var i = 0; i < 3; i++) one.Send(Frame(50_000)); // 150 000 queued: far below its own quarter (2 MB)
        two.Send(Frame(10_000));
        Assert.Empty(congestion);
        two.Send(Frame(60_000)); // 210 000 on the node: the socket that queued it is congested, nothing is dropped
        Assert.Equal([(2, true)], congestion);
        one.Send(Frame(1_000)); // and so is the next one that queues while the node is past its budget
        Assert.Equal([(2, true), (1, true)], congestion);
        Assert.Equal(211_000, node.Queued);

        first.Release();
        second.Release();
        await Task.Run(async () =>
        {
            while (Volatile.Read(ref first.Sends) < 5 || Volatile.Read(ref second.Sends) < 2) await Task.Delay(10);
        }).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, node.Queued);
        lock (congestion) Assert.Equal([(1, false), (2, false)], congestion.Skip(2).OrderBy(c => c.Socket));
        Assert.False(one.Aborted.IsCancellationRequested || two.Aborted.IsCancellationRequested);
    }

    [Fact]
    public void A_socket_closed_with_frames_still_queued_gives_their_bytes_back_to_the_node()
    {
        var node = new SendQueueBudget(1_000_000);
        var connection = new SocketConnection(new StuckWebSocket(), Apiv2Dialect.Instance, sendQueueLimit: 512, Clocks.Fake(), TimeSpan.FromSeconds(10), 8_000_000, node);
        connection.Send(Frame(10_000));
        for (var i = 0; i < 4; i++) connection.Send(Frame(10_000));
        Assert.Equal(40_000, node.Queued);
        connection.CloseNow(WebSocketCloseStatus.PolicyViolation, "gone");
        Assert.Equal(0, node.Queued);
    }
}
