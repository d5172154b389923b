using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.Apiv2;

public sealed record CreatedCall(string CallId, string Status, string PeerId);

public sealed record CallStatusView(string CallId, string Status, ParticipantCount Participants)
{
    public static CallStatusView From(CallSnapshot s) =>
        new(s.CallId, EventWriter.StatusName(s.Status), new ParticipantCount(s.Count, s.ConnectedCount));
}

public sealed record ParticipantCount(int Count, int Connected);

public sealed record JoinedCall(string CallId, string PeerId);

public sealed record LeaveRequest(string? PeerId);

public sealed record LeftCall(string CallId, string PeerId, string Status);

/// <summary>Seed 000: a two-party call without accounts.</summary>
public static class Apiv2Endpoints
{
    public static IEndpointRouteBuilder MapApiv2(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/apiv2").WithTags("apiv2: two-party calls (seed 000)");
        api.MapPost("/calls", CreateAsync).Limited(LimitKind.Create)
            .Documented<CreatedCall>("Start a call; the creator is its first participant", 429, 503);
        api.MapGet("/calls/{callId}", GetAsync).CountsMisses()
            .Documented<CallStatusView>("A call's status and how many are in it and connected", 404, 429, 503);
        api.MapPost("/calls/{callId}/join", JoinAsync).Limited(LimitKind.Join).CountsMisses()
            .Documented<JoinedCall>("Take the second place of a call", 404, 409, 410, 429, 503);
        api.MapPost("/calls/{callId}/leave", LeaveAsync).CountsMisses().Accepts<LeaveRequest>("application/json")
            .Documented<LeftCall>("Leave a call (by default this ends it for the other person too)", 400, 404, 413, 415, 429, 503);
        api.MapGet("/ws", WebSocketAsync).Limited(LimitKind.Socket)
            .WebSocket("A participant's signalling socket: ?call_id=&peer_id=", 429, 503);
        return app;
    }

    private static async Task<IResult> CreateAsync(CallGateway calls, IOptions<ZvonimOptions> options, CancellationToken ct)
    {
        var (reply, error) = await calls.AskAsync(new CreateCall(options.Value.Calls.ToPolicy(), new JoinAs(null)), ct);
        if (error is not null) return error;
        var created = (CallCreated)reply!;
        return Results.Ok(new CreatedCall(created.CallId, EventWriter.StatusName(created.Snapshot.Status), created.PeerId!));
    }

    private static async Task<IResult> GetAsync(string callId, CallGateway calls, CancellationToken ct)
    {
        var (reply, error) = await calls.AskAsync(new GetCall(callId, CallOptions.Kind), ct);
        return error ?? Results.Ok(CallStatusView.From(((CallInfo)reply!).Snapshot));
    }

    private static async Task<IResult> JoinAsync(string callId, CallGateway calls, CancellationToken ct)
    {
        var (reply, error) = await calls.AskAsync(new JoinCall(callId, Kind: CallOptions.Kind), ct);
        if (error is not null) return error;
        var joined = (CallJoined)reply!;
        return Results.Ok(new JoinedCall(joined.CallId, joined.PeerId));
    }

    private static async Task<IResult> LeaveAsync(string callId, HttpRequest request, CallGateway calls, CancellationToken ct)
    {
        var (body, bodyError) = await JsonBody.ReadAsync<LeaveRequest>(request);
        if (bodyError is not null) return bodyError;
        if (string.IsNullOrEmpty(body?.PeerId))
            return ApiError.Result(400, "invalid_request", "Send {\"peer_id\": \"...\"}: whose leave is it?");
        var (reply, error) = await calls.AskAsync(new LeaveCall(callId, body.PeerId, CallOptions.Kind), ct);
        if (error is not null) return error;
        var left = (CallLeft)reply!;
        return Results.Ok(new LeftCall(left.CallId, left.PeerId, EventWriter.StatusName(left.Snapshot.Status)));
    }

    private static async Task<IResult> WebSocketAsync(HttpContext context, WebSocketBridge bridge)
    {
        var callId = context.Request.Query["call_id"].ToString();
        var peerId = context.Request.Query["peer_id"].ToString();
        if (callId.Length == 0 || peerId.Length == 0)
            return ApiError.Result(400, "invalid_request", "Connect to /apiv2/ws?call_id=<call_id>&peer_id=<peer_id>.");
        return await bridge.RunAsync(context, Apiv2Dialect.Instance, new AttachPeer(callId, peerId, Kind: CallOptions.Kind)) ?? Results.Empty;
    }
}
