using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using System.Security.Claims;
using Zvonim.Actors.Media;
using Zvonim.Web.Accounts;
using Zvonim.Web.Chats;
using Zvonim.Web.Errors;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.ChatCalls;

/// <summary>Seed 001's call sockets: a private chat's and a group's, each refused before the upgrade (401 without a
/// valid token, 404 unknown chat or group, 403 not a member).</summary>
public static class ChatCallEndpoints
{
    public static IEndpointRouteBuilder MapChatCalls(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Chat and group calls (seed 001)").RequireAuthorization().IntegerIds();
        api.MapGet("/chat/{id}/call", ChatCallAsync).Limited(LimitKind.Socket)
            .WebSocket("A private chat's call: join, offer/answer/ice, leave; media through the server's forwarder", 401, 403, 404, 429, 503);
        api.MapGet("/group/{id}/call", GroupCallAsync).Limited(LimitKind.Socket)
            .WebSocket("A group's call: join, offer/answer/ice, leave; media through the server's forwarder", 401, 403, 404, 429, 503);
        return app;
    }

    private static async Task<IResult> ChatCallAsync(string id, HttpContext context, ClaimsPrincipal principal, ChatStore chats,
        WebSocketBridge bridge, IRequiredActor<MediaRooms> rooms, IOptions<ZvonimOptions> options, CancellationToken ct)
    {
        if (!ChatEndpoints.TryParseId(id, out var chatId)) return ChatEndpoints.NotAnId("Chat", id);
        if (await chats.FindChatAsync(chatId, ct) is not { } chat) return ApiError.Result(404, "not_found", $"Chat {chatId} does not exist.");
        var me = AccountEndpoints.UserId(principal);
        if (!chat.Members.Contains(me)) return ApiError.Result(403, "forbidden", "You are not in this chat.");
        return await RunAsync(context, bridge, rooms.ActorRef, CallRoomKey.Chat(chatId), chatId, me, options.Value.Sfu, mayJoin: null); // a private chat's members never change
    }

    private static async Task<IResult> GroupCallAsync(string id, HttpContext context, ClaimsPrincipal principal, ChatStore chats,
        WebSocketBridge bridge, IRequiredActor<MediaRooms> rooms, IOptions<ZvonimOptions> options, CancellationToken ct)
    {
        if (!ChatEndpoints.TryParseId(id, out var groupId)) return ChatEndpoints.NotAnId("Group", id);
        if (await chats.FindGroupAsync(groupId, ct) is not { } group) return ApiError.Result(404, "not_found", $"Group {groupId} does not exist.");
        var me = AccountEndpoints.UserId(principal);
        if (!group.Members.Contains(me)) return ApiError.Result(403, "forbidden", "You are not in this group.");
        // Asked again at the join: the owner may remove this member (or delete the group) while the socket waits.
        return await RunAsync(context, bridge, rooms.ActorRef, CallRoomKey.Group(groupId), groupId, me, options.Value.Sfu,
            async () => await chats.FindGroupAsync(groupId, CancellationToken.None) is { } now && now.Members.Contains(me));
    }

    private static async Task<IResult> RunAsync(HttpContext context, WebSocketBridge bridge, IActorRef rooms, string roomKey, long id, Guid me,
        SfuOptions sfu, Func<Task<bool>>? mayJoin) =>
        await bridge.RunMediaAsync(context, new ChatCallDialect(id),
            (connection, readAhead) => MediaSocketActor.Props(roomKey, me.ToString(), rooms, connection, mayJoin, sfu.InactivityTimeout, readAhead),
            me.ToString(), roomKey) ?? Results.Empty;
}
