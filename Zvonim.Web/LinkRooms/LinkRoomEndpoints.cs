using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.LinkRooms;

public sealed record CreatedRoom(string Token, string Url, DateTimeOffset ExpiresAt);

public sealed record RoomStatus(string Token, string State, int Participants, int Connected, DateTimeOffset ExpiresAt);

/// <summary>Seed 004: a room is a link; whoever opens it joins, two at most.</summary>
public static class LinkRoomEndpoints
{
    public static IEndpointRouteBuilder MapLinkRooms(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/rooms").WithTags("Rooms by link (seed 004)");
        api.MapPost("/", CreateAsync).Limited(LimitKind.Create).Limited(LimitKind.RoomLink)
            .Documented<CreatedRoom>("Make a room and its link, valid for a week", 429, 503);
        api.MapGet("/{token}", GetAsync).CountsMisses()
            .Documented<RoomStatus>("A room's state and how many are in it", 404, 429, 503);
        app.MapGet("/ws/rooms/{token}", WebSocketAsync).Limited(LimitKind.Socket).WithTags("Rooms by link (seed 004)")
            .WebSocket("Join the room of a link and signal through it", 404, 409, 429, 503);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, CallGateway calls, IOptions<ZvonimOptions> options, CancellationToken ct)
    {
        var settings = options.Value.LinkRooms;
        var (reply, error) = await calls.AskAsync(new CreateCall(settings.ToPolicy()), ct);
        if (error is not null) return error;
        var created = (CallCreated)reply!;
        var baseUrl = (settings.PublicBaseUrl is { Length: > 0 } configured ? configured : $"{request.Scheme}://{request.Host}").TrimEnd('/');
        return Results.Ok(new CreatedRoom(created.CallId, $"{baseUrl}/r/{created.CallId}", created.Snapshot.ExpiresAt!.Value));
    }

    private static async Task<IResult> GetAsync(string token, CallGateway calls, CancellationToken ct)
    {
        var (reply, error) = await calls.AskAsync(new GetCall(token, LinkRoomOptions.Kind), ct);
        if (error is not null) return error;
        var room = ((CallInfo)reply!).Snapshot;
        // A link room only ends by expiring.
        if (room.Status == CallStatus.Ended) return ApiError.Result(404, "not_found", $"Room '{token}' has expired.");
        return Results.Ok(new RoomStatus(room.CallId, EventWriter.StatusName(room.Status), room.Count, room.ConnectedCount, room.ExpiresAt!.Value));
    }

    /// <summary>Opening the socket is joining. <c>?peer_id=</c> (from the <c>joined</c> message) resumes after a reload.</summary>
    private static async Task<IResult> WebSocketAsync(string token, HttpContext context, WebSocketBridge bridge)
    {
        var peerId = context.Request.Query["peer_id"].ToString();
        var attach = new AttachPeer(token, peerId.Length > 0 ? peerId : null, JoinIfAbsent: true, Kind: LinkRoomOptions.Kind);
        return await bridge.RunAsync(context, LinkRoomDialect.Instance, attach) ?? Results.Empty;
    }
}
