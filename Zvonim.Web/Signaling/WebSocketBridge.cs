using Zvonim.Actors.Telemetry;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Users;
using Zvonim.Web.Accounts;
using Zvonim.Web.Errors;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Signaling;

/// <summary>
/// Turns an HTTP upgrade into a <see cref="PeerActor"/> with its <see cref="SocketConnection"/>, then reads the socket:
/// frames are size-checked, decoded by the dialect and told to the actor. Runs for the life of the socket.
/// </summary>
public sealed class WebSocketBridge(ActorSystem system, IRequiredActor<CallManager> calls, IRequiredActor<UserDirectory> users,
    IOptions<ZvonimOptions> options, SocketsPerAddress perAddress, TimeProvider time, ILogger<WebSocketBridge> log)
{
    private readonly PendingBudget _pending = new(options.Value.Signaling.PendingBytesLimit, options.Value.Limits.MaxPendingBytes);
    private readonly SendQueueBudget _sendQueues = new(options.Value.Limits.MaxSendQueueBytes);

    /// <summary>This node's sockets held back for a receiver that cannot keep up.</summary>
    public HeldReaders HeldReaders { get; } = new();

    // In a cluster an attach can be lost while a node is failing; on one node it is always answered.
    private readonly TimeSpan? _attachRetry = options.Value.Cluster.Enabled ? TimeSpan.FromSeconds(1) : null;

    private long _connections;

    /// <summary>A socket in one call: its <see cref="PeerActor"/> attaches to the call.</summary>
    public Task<IResult?> RunAsync(HttpContext context, ISignalingDialect dialect, AttachPeer attach)
    {
        var lane = new RelayLane(shortWay: options.Value.Signaling.RelayLane);
        return RunAsync(context, dialect, new SocketOwner(connection => PeerActor.Props(attach, calls.ActorRef, connection,
            options.Value.Signaling.PendingLimit, _pending, _attachRetry, lane), attach.PeerId ?? "", attach.CallId, attach.Kind ?? "call", lane));
    }

    /// <summary>A signed-in user's socket (seed 002): its <see cref="DeviceActor"/> joins calls as the user takes them.</summary>
    public Task<IResult?> RunDeviceAsync(HttpContext context, ISignalingDialect dialect, string userId)
    {
        var readAhead = new ReadAhead();
        return RunAsync(context, dialect, new SocketOwner(connection => DeviceActor.Props(userId, calls.ActorRef, users.ActorRef, connection,
            new LegSettings(options.Value.Signaling.PendingLimit, _pending, _attachRetry), readAhead), userId, "", DeviceActor.Kind, ReadAhead: readAhead));
    }

    /// <summary>A seed-001 call socket: its session actor negotiates with the media forwarder.</summary>
    public Task<IResult?> RunMediaAsync(HttpContext context, ISignalingDialect dialect, Func<SocketConnection, ReadAhead, Props> session,
        string userId, string roomKey)
    {
        var readAhead = new ReadAhead();
        return RunAsync(context, dialect, new SocketOwner(connection => session(connection, readAhead), userId, roomKey, "chat-call", ReadAhead: readAhead));
    }

    /// <summary>The actor a socket gets, who it is (for the dialect and the log), and its dialect's name for metrics.</summary>
    private sealed record SocketOwner(Func<SocketConnection, Props> Props, string PeerId, string CallId, string Dialect, RelayLane? Lane = null,
        ReadAhead? ReadAhead = null);

    private async Task<IResult?> RunAsync(HttpContext context, ISignalingDialect dialect, SocketOwner owner)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            return ApiError.Result(400, "websocket_required", "This endpoint speaks WebSocket only: connect with a WebSocket client.");

        var address = ClientAddress.Of(context);
        if (!perAddress.TryOpen(address))
            return ApiError.Result(503, "too_many_sockets",
                $"Your address already holds {options.Value.Limits.MaxSocketsPerAddress} open connections; close some first.");
        try
        {
            return await RunAcceptedAsync(context, dialect, owner);
        }
        finally
        {
            perAddress.Close(address);
        }
    }

    private async Task<IResult?> RunAcceptedAsync(HttpContext context, ISignalingDialect dialect, SocketOwner owner)
    {
        var settings = options.Value.Signaling;
        WebSocket accepted;
        try
        {
            accepted = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = settings.KeepAliveInterval,
                KeepAliveTimeout = settings.KeepAliveTimeout,
                // A browser that sent its token as a subprotocol (["access_token", token]) expects one of them chosen back.
                SubProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(AccessTokens.SubProtocol) ? AccessTokens.SubProtocol : null,
            });
        }
        catch (InvalidOperationException) when (!context.Response.HasStarted)
        {
            // Kestrel refuses the upgrade once it holds MaxConcurrentUpgradedConnections (set from the open-file limit):
            // the node is full, not broken, and the client may try again later or elsewhere. The middleware has set the
            // handshake's headers already; a 503 must not carry them to a proxy.
            context.Response.Clear();
            ZvonimMetrics.Refusals.Add(1, new KeyValuePair<string, object?>("reason", Refusal.AtCapacity.ToString()));
            return ApiError.Result(503, "server_busy", "The server holds as many connections as it can; try again later.");
        }
        using var socket = accepted;
        using var connection = new SocketConnection(socket, dialect, settings.SendQueueLimit, time, settings.EffectiveStallTimeout, settings.SendQueueBytesLimit, _sendQueues, HeldReaders);
        // A socket dropped without ceremony drops its TCP connection too: that completes a send stuck on a client that
        // reads nothing, which SocketConnection no longer cancels by token. ASP.NET Core's upgrade stream does the same
        // when an aborted WebSocket disposes it; said here so that it does not rest on that detail.
        using var abortTransport = connection.Aborted.UnsafeRegister(static state => ((HttpContext)state!).Abort(), context);
        // Only our own counter goes into the name: ids come from the client and may hold anything.
        var name = "peer-" + Interlocked.Increment(ref _connections).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var peer = system.ActorOf(owner.Props(connection), name);
        connection.CongestionChanged = congested => peer.Tell(new SocketCongestion(congested), ActorRefs.NoSender);
        var why = "closed";
        ZvonimMetrics.SocketsOpen(owner.Dialect, 1);
        try
        {
            var reader = new SocketReader(socket, connection, dialect, peer, owner.PeerId, settings, options.Value.Limits, time, owner.Lane, owner.ReadAhead);
            why = await reader.RunAsync(context.RequestAborted);
        }
        catch (Exception ex)
        {
            // A bug must cost one socket, never the process or anyone else's call.
            log.LogError(ex, "Socket of peer {peer_id} in call {call_id} failed", owner.PeerId, owner.CallId);
            connection.CloseNow(WebSocketCloseStatus.InternalServerError, "The server failed to handle a message.");
            why = "failed";
        }
        finally
        {
            ZvonimMetrics.SocketsOpen(owner.Dialect, -1);
            peer.Tell(new SocketClosed(why), ActorRefs.NoSender);
            connection.Complete();
            await connection.Completion;
            log.LogDebug("Socket of peer {peer_id} in call {call_id} ended: {Why}", owner.PeerId, owner.CallId, why);
        }
        return null;
    }
}
