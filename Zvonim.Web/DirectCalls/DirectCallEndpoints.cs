using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Users;
using Zvonim.Web.Accounts;
using Zvonim.Web.Errors;
using Zvonim.Web.Hosting;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.DirectCalls;

public sealed record PlaceCallRequest(string? CalleeId);

public sealed record CallPlaced(string CallId, string Status);

/// <param name="Reason">Once ended: completed, canceled, rejected, no_answer, unavailable or failed.</param>
public sealed record DirectCallView(string CallId, string Status, string CallerId, string CalleeId, DateTimeOffset CreatedAt, string? Reason);

public sealed record CallEndedView(string Status);

/// <summary>A 409 for a call to someone who is calling you right now: <paramref name="CallId"/> is their call.</summary>
public sealed record GlareError(string Error, string Message, string CallId);

/// <summary>Seed 002, calls between signed-in users: place, look at, end; and the user's socket, /api/v1/ws.</summary>
public static class DirectCallEndpoints
{
    public static IEndpointRouteBuilder MapDirectCalls(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Calls between users (seed 002)").RequireAuthorization();
        api.MapPost("/calls", PlaceAsync).Limited(LimitKind.Create).Accepts<PlaceCallRequest>("application/json")
            .Documented<CallPlaced>("Call a user: every device they have online rings (201)", 400, 401, 404, 409, 413, 415, 429, 503);
        api.MapGet("/calls/{id}", GetAsync).CountsMisses()
            .Documented<DirectCallView>("A call's status: created, ringing, active or ended (with the reason)", 401, 403, 404, 429, 503);
        api.MapPost("/calls/{id}/end", EndAsync).CountsMisses()
            .Documented<CallEndedView>("Hang up: the caller cancels, the callee rejects, either ends an answered call", 401, 403, 404, 429, 503);
        api.MapGet("/ws", WebSocketAsync).Limited(LimitKind.Socket)
            .WebSocket("The user's signalling socket. The token: Authorization: Bearer, ?access_token=, or the subprotocols " +
                "[\"access_token\", <token>]", 401, 429, 503);
        return app;
    }

    private static string Me(ClaimsPrincipal user) => AccountEndpoints.UserId(user).ToString();

    private static async Task<IResult> PlaceAsync(HttpRequest request, ClaimsPrincipal principal, UserStore users, CallGateway calls,
        IOptions<ZvonimOptions> options, CancellationToken ct)
    {
        var (body, bodyError) = await JsonBody.ReadAsync<PlaceCallRequest>(request, AccountEndpoints.Json);
        if (bodyError is not null) return bodyError;
        if (body?.CalleeId is not { Length: > 0 } calleeText)
            return ApiError.Result(400, "invalid_request", "Send {\"calleeId\": \"<the user id to call>\"}.");
        if (!Guid.TryParse(calleeText, out var calleeId))
            return ApiError.Result(404, "user_not_found", "No user has this id.");
        var me = AccountEndpoints.UserId(principal);
        if (calleeId == me) return ApiError.Result(400, "invalid_request", "You cannot call yourself.");
        var caller = await users.FindAsync(me, ct);
        if (caller is null) return ApiError.Result(401, "unauthorized", "This account no longer exists.");
        if (await users.FindAsync(calleeId, ct) is not { } callee) return ApiError.Result(404, "user_not_found", "No user has this id.");

        var create = new CreateCall(options.Value.DirectCalls.ToPolicy(),
            new JoinAs(caller.Username, PeerId: caller.Id.ToString()), new Invitee(callee.Id.ToString(), callee.Username));
        var (reply, error) = await calls.AskAsync(create, ct, refused => refused.Reason == Refusal.Glare
            ? ApiError.Result(409, ErrorCodes.Glare, new GlareError(ErrorCodes.Glare, refused.Message, refused.Existing!), AccountEndpoints.Json)
            : null);
        if (error is not null) return error;
        var created = (CallCreated)reply!;
        return Results.Json(new CallPlaced(created.CallId, "created"), AccountEndpoints.Json, statusCode: 201);
    }

    private static async Task<IResult> GetAsync(string id, ClaimsPrincipal principal, CallGateway calls, CancellationToken ct)
    {
        var (reply, error) = await calls.AskAsync(new GetCall(id, DirectCallOptions.Kind), ct);
        if (error is not null) return error;
        var call = ((CallInfo)reply!).Snapshot;
        if (call.Participants.All(p => p.PeerId != Me(principal))) return NotYours();
        return Results.Json(View(call), AccountEndpoints.Json);
    }

    private static async Task<IResult> EndAsync(string id, ClaimsPrincipal principal, CallGateway calls, CancellationToken ct)
    {
        var (_, error) = await calls.AskAsync(new LeaveCall(id, Me(principal), DirectCallOptions.Kind), ct,
            refused => refused.Reason == Refusal.NotAParticipant ? NotYours() : null);
        return error ?? Results.Json(new CallEndedView("ended"), AccountEndpoints.Json);
    }

    private static IResult NotYours() => ApiError.Result(403, "forbidden", "You are not a participant of this call.");

    public static DirectCallView View(CallSnapshot call) => new(call.CallId, call.Status switch
        {
            CallStatus.Waiting => "created",
            CallStatus.Ringing => "ringing",
            CallStatus.Active => "active",
            _ => "ended",
        }, call.Participants[0].PeerId, call.Participants[1].PeerId, call.CreatedAt,
        call.EndReason is { } reason ? EndReasons.Name(reason) : null);

    private static async Task<IResult> WebSocketAsync(HttpContext context, ClaimsPrincipal principal, WebSocketBridge bridge) =>
        await bridge.RunDeviceAsync(context, DirectCallDialect.Instance, Me(principal)) ?? Results.Empty;
}
