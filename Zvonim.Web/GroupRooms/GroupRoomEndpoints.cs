using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;

namespace Zvonim.Web.GroupRooms;

public sealed record JoinRoomRequest(string? RoomId, string? UserName);

/// <param name="Token">Not in seed 003: the proof that <paramref name="UserId"/> is yours. Pass it as <c>?token=</c> on
/// the socket and in <c>leave</c>; without it, both work only from the address that joined.</param>
public sealed record JoinRoomResponse(string RoomId, string UserId, IReadOnlyList<string> UsersInRoom, string? Token);

public sealed record RoomUser(string UserId, string? UserName, bool IsOnline);

public sealed record RoomInfo(string RoomId, IReadOnlyList<RoomUser> Users, DateTimeOffset CreatedAt);

public sealed record LeaveRoomRequest(string? RoomId, string? UserId, string? Token);

public sealed record LeaveRoomResponse(bool Success);

/// <summary>Seed 003: group rooms, a full mesh of browsers.</summary>
public static class GroupRoomEndpoints
{
    public const int MaxUserNameLength = 64;

    public static IEndpointRouteBuilder MapGroupRooms(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/room").WithTags("Group rooms (seed 003)");
        api.MapPost("/join", JoinAsync).Limited(LimitKind.Join).CountsMisses().Accepts<JoinRoomRequest>("application/json")
            .Documented<JoinRoomResponse>("Make a group room, or join one by its id", 400, 404, 409, 413, 415, 429, 503);
        api.MapGet("/{roomId}/info", InfoAsync).CountsMisses()
            .Documented<RoomInfo>("Who is in a group room and who is online", 404, 429, 503);
        api.MapPost("/leave", LeaveAsync).CountsMisses().Accepts<LeaveRoomRequest>("application/json")
            .Documented<LeaveRoomResponse>("Leave a group room", 400, 403, 404, 413, 415, 429, 503);
        app.MapGet("/ws", WebSocketAsync).Limited(LimitKind.Socket).WithTags("Group rooms (seed 003)")
            .WebSocket("A member's signalling socket: ?room_id=&user_id=&token=", 403, 404, 429, 503);
        return app;
    }

    private static async Task<IResult> JoinAsync(HttpRequest request, CallGateway calls, ClientRateLimits limits, IOptions<ZvonimOptions> options, CancellationToken ct)
    {
        var (body, bodyError) = await JsonBody.ReadAsync<JoinRoomRequest>(request);
        if (bodyError is not null) return bodyError;
        var name = body?.UserName?.Trim();
        if (string.IsNullOrEmpty(name))
            return ApiError.Result(400, "invalid_request", "Send {\"user_name\": \"...\"} and, to enter an existing room, its \"room_id\".");
        if (name.Length > MaxUserNameLength)
            return ApiError.Result(400, "invalid_request", $"user_name is limited to {MaxUserNameLength} characters.");

        // Joining without a room creates one: that counts as creating, too.
        if (string.IsNullOrEmpty(body!.RoomId) && limits.TryTake(request.HttpContext, LimitKind.Create) is { } refused) return refused;
        object command = string.IsNullOrEmpty(body.RoomId)
            ? new CreateCall(options.Value.GroupRooms.ToPolicy(), new JoinAs(name, From(request.HttpContext)))
            : new JoinCall(body.RoomId, name, GroupRoomOptions.Kind, From(request.HttpContext));
        var (reply, error) = await calls.AskAsync(command, ct);
        if (error is not null) return error;
        var (roomId, userId, snapshot, token) = reply switch
        {
            CallCreated created => (created.CallId, created.PeerId!, created.Snapshot, created.Secret),
            _ => (((CallJoined)reply!).CallId, ((CallJoined)reply).PeerId, ((CallJoined)reply).Snapshot, ((CallJoined)reply).Secret),
        };
        return Results.Ok(new JoinRoomResponse(roomId, userId, snapshot.Participants.Select(p => p.PeerId).ToArray(), token));
    }

    private static async Task<IResult> InfoAsync(string roomId, CallGateway calls, CancellationToken ct)
    {
        var (reply, error) = await calls.AskAsync(new GetCall(roomId, GroupRoomOptions.Kind), ct);
        if (error is not null) return error;
        var room = ((CallInfo)reply!).Snapshot;
        if (room.Status == CallStatus.Ended) return ApiError.Result(404, "not_found", $"Room '{roomId}' is closed.");
        return Results.Ok(new RoomInfo(room.CallId,
            room.Participants.Select(p => new RoomUser(p.PeerId, p.DisplayName, p.WsConnected)).ToArray(), room.CreatedAt));
    }

    private static async Task<IResult> LeaveAsync(HttpRequest request, CallGateway calls, CancellationToken ct)
    {
        var (body, bodyError) = await JsonBody.ReadAsync<LeaveRoomRequest>(request);
        if (bodyError is not null) return bodyError;
        if (string.IsNullOrEmpty(body?.RoomId) || string.IsNullOrEmpty(body.UserId))
            return ApiError.Result(400, "invalid_request", "Send {\"room_id\": \"...\", \"user_id\": \"...\"}.");
        var proof = new Credentials(body.Token, From(request.HttpContext));
        var (_, error) = await calls.AskAsync(new LeaveCall(body.RoomId, body.UserId, GroupRoomOptions.Kind, proof), ct);
        return error ?? Results.Ok(new LeaveRoomResponse(true));
    }

    private static string From(HttpContext context) => ClientAddress.Of(context).ToString();

    private static async Task<IResult> WebSocketAsync(HttpContext context, Signaling.WebSocketBridge bridge)
    {
        var roomId = context.Request.Query["room_id"].ToString();
        var userId = context.Request.Query["user_id"].ToString();
        if (roomId.Length == 0 || userId.Length == 0)
            return ApiError.Result(400, "invalid_request", "Connect to /ws?room_id=<room_id>&user_id=<user_id>.");
        var proof = new Credentials(context.Request.Query["token"].ToString() is { Length: > 0 } token ? token : null, From(context));
        return await bridge.RunAsync(context, GroupRoomDialect.Instance, new AttachPeer(roomId, userId, Kind: GroupRoomOptions.Kind, As: proof))
            ?? Results.Empty;
    }
}
