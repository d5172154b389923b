using Akka.Actor;
using Akka.Hosting;
using Zvonim.Actors.Media;
using System.Globalization;
using System.Security.Claims;
using Zvonim.Web.Accounts;
using Zvonim.Web.Errors;
using Zvonim.Web.Limits;

namespace Zvonim.Web.Chats;

public sealed record OpenChatRequest(string? UserId);

public sealed record CreateGroupRequest(string? Name, IReadOnlyList<string>? MemberIds);

public sealed record AddMemberRequest(string? UserId);

public sealed record Member(Guid Id, string Username);

public sealed record ChatView(long Id, string Type, IReadOnlyList<Member> Members);

public sealed record GroupView(long Id, string Type, string Name, Guid OwnerId, IReadOnlyList<Member> Members);

/// <summary>
/// Who may call whom in seed 001 (which assumes chats and groups exist; these routes are ours): private chats, made on
/// first use, and groups an owner manages. Removing someone from a group closes their call socket.
/// </summary>
public static class ChatEndpoints
{
    public const int MaxGroupNameLength = 64;

    public static IEndpointRouteBuilder MapChats(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Chats and groups (seed 001)").RequireAuthorization().IntegerIds();
        api.MapPost("/chats", OpenChatAsync).Limited(LimitKind.Create).Accepts<OpenChatRequest>("application/json")
            .Documented<ChatView>("The private chat with a user, made on first use (201) or found (200)", 400, 401, 404, 413, 415, 429);
        api.MapGet("/chats", MyChatsAsync).Documented<ChatView[]>("My private chats", 401);
        api.MapPost("/groups", CreateGroupAsync).Limited(LimitKind.Create).Accepts<CreateGroupRequest>("application/json")
            .Documented<GroupView>("Make a group (201); I own it and am in it", 400, 401, 404, 413, 415, 429);
        api.MapGet("/groups", MyGroupsAsync).Documented<GroupView[]>("The groups I am in", 401);
        api.MapPost("/groups/{id}/members", AddMemberAsync).Accepts<AddMemberRequest>("application/json")
            .Documented<GroupView>("Add a member (the owner only)", 400, 401, 403, 404, 409, 413, 415);
        api.MapDelete("/groups/{id}/members/{userId}", RemoveMemberAsync)
            .Documented<GroupView>("Remove a member (the owner, or anyone themself); their call socket closes", 401, 403, 404);
        api.MapDelete("/groups/{id}", DeleteGroupAsync).Documented<GroupView>("Delete a group (the owner); its call ends", 401, 403, 404);
        return app;
    }

    private static Guid Me(ClaimsPrincipal user) => AccountEndpoints.UserId(user);

    private static async Task<IReadOnlyList<Member>> MembersAsync(UserStore users, IEnumerable<Guid> ids, CancellationToken ct)
    {
        var members = new List<Member>();
        foreach (var id in ids)
        {
            if (await users.FindAsync(id, ct) is { } user) members.Add(new Member(user.Id, user.Username));
        }
        return members;
    }

    private static async Task<ChatView> ViewAsync(UserStore users, PrivateChat chat, CancellationToken ct) =>
        new(chat.Id, "private", await MembersAsync(users, chat.Members, ct));

    private static async Task<GroupView> ViewAsync(UserStore users, Group group, CancellationToken ct) =>
        new(group.Id, "group", group.Name, group.OwnerId, await MembersAsync(users, group.Members, ct));

    private static IResult Json<T>(T body, int status = 200) => Results.Json(body, AccountEndpoints.Json, statusCode: status);

    private static async Task<IResult> OpenChatAsync(HttpRequest request, ClaimsPrincipal principal, UserStore users, ChatStore chats,
        TimeProvider time, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<OpenChatRequest>(request, AccountEndpoints.Json);
        if (error is not null) return error;
        if (body?.UserId is not { Length: > 0 } text) return ApiError.Result(400, "invalid_request", "Send {\"userId\": \"<the user to chat with>\"}.");
        if (!Guid.TryParse(text, out var other) || await users.FindAsync(other, ct) is null) return ApiError.Result(404, "user_not_found", "No user has this id.");
        if (other == Me(principal)) return ApiError.Result(400, "invalid_request", "A private chat is with someone else.");
        var (chat, created) = await chats.PrivateChatAsync(Me(principal), other, time.GetUtcNow(), ct);
        return Json(await ViewAsync(users, chat, ct), created ? 201 : 200);
    }

    private static async Task<IResult> MyChatsAsync(ClaimsPrincipal principal, UserStore users, ChatStore chats, CancellationToken ct)
    {
        var views = new List<ChatView>();
        foreach (var chat in await chats.ChatsOfAsync(Me(principal), ct)) views.Add(await ViewAsync(users, chat, ct));
        return Json(views);
    }

    private static async Task<IResult> CreateGroupAsync(HttpRequest request, ClaimsPrincipal principal, UserStore users, ChatStore chats,
        TimeProvider time, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<CreateGroupRequest>(request, AccountEndpoints.Json);
        if (error is not null) return error;
        var name = body?.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxGroupNameLength)
            return ApiError.Result(400, "invalid_request", $"Send {{\"name\": \"...\" (1 to {MaxGroupNameLength} characters), \"memberIds\": [...]}}.");
        var ids = body!.MemberIds ?? [];
        if (ids.Count >= ChatStore.MaxGroupMembers)
            return ApiError.Result(400, "invalid_request", $"A group has at most {ChatStore.MaxGroupMembers} members.");
        var members = new List<Guid>();
        foreach (var text in ids)
        {
            if (!Guid.TryParse(text, out var id) || await users.FindAsync(id, ct) is null)
                return ApiError.Result(404, "user_not_found", $"No user has the id '{Zvonim.Actors.Ids.Shorten(text ?? "")}'.");
            members.Add(id);
        }
        var group = await chats.CreateGroupAsync(name, Me(principal), members, time.GetUtcNow(), ct);
        return Json(await ViewAsync(users, group, ct), 201);
    }

    private static async Task<IResult> MyGroupsAsync(ClaimsPrincipal principal, UserStore users, ChatStore chats, CancellationToken ct)
    {
        var views = new List<GroupView>();
        foreach (var group in await chats.GroupsOfAsync(Me(principal), ct)) views.Add(await ViewAsync(users, group, ct));
        return Json(views);
    }

    /// <summary>A chat's or group's id from a path: an integer, or no chat or group has it. Parsed here rather than
    /// bound as a long, which answers anything else with a bare 400 that does not say what was wrong.</summary>
    public static bool TryParseId(string text, out long id) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out id);

    /// <summary>The 404 for a path id that is not an integer: like an unknown one, and saying what ids look like.</summary>
    public static IResult NotAnId(string what, string text) =>
        ApiError.Result(404, "not_found", $"{what} '{Zvonim.Actors.Ids.Shorten(text)}' does not exist: {what.ToLowerInvariant()} ids are integers.");

    /// <summary>The group, if the asker is in it; someone outside it learns nothing, not even that it exists.</summary>
    private static async Task<(Group? Group, IResult? Error)> VisibleGroupAsync(string text, ClaimsPrincipal principal, ChatStore chats, CancellationToken ct)
    {
        if (!TryParseId(text, out var id)) return (null, NotAnId("Group", text));
        var group = await chats.FindGroupAsync(id, ct);
        return group is null || !group.Members.Contains(Me(principal))
            ? (null, ApiError.Result(404, "not_found", $"Group {id} does not exist, or you are not in it."))
            : (group, null);
    }

    private static async Task<IResult> AddMemberAsync(string id, HttpRequest request, ClaimsPrincipal principal, UserStore users, ChatStore chats, CancellationToken ct)
    {
        var (group, missing) = await VisibleGroupAsync(id, principal, chats, ct);
        if (missing is not null) return missing;
        if (group!.OwnerId != Me(principal)) return ApiError.Result(403, "forbidden", "Only the group's owner adds members.");
        var (body, error) = await JsonBody.ReadAsync<AddMemberRequest>(request, AccountEndpoints.Json);
        if (error is not null) return error;
        if (!Guid.TryParse(body?.UserId, out var user) || await users.FindAsync(user, ct) is null) return ApiError.Result(404, "user_not_found", "No user has this id.");
        if (!await chats.AddMemberAsync(group.Id, user, ct)) return ApiError.Result(409, "group_full", $"A group has at most {ChatStore.MaxGroupMembers} members.");
        return Json(await ViewAsync(users, (await chats.FindGroupAsync(group.Id, ct))!, ct));
    }

    private static async Task<IResult> RemoveMemberAsync(string id, string userId, ClaimsPrincipal principal, UserStore users, ChatStore chats,
        CallEvictions evictions, CancellationToken ct)
    {
        var (group, missing) = await VisibleGroupAsync(id, principal, chats, ct);
        if (missing is not null) return missing;
        if (!Guid.TryParse(userId, out var user) || !group!.Members.Contains(user)) return ApiError.Result(404, "not_found", "This user is not in the group.");
        if (group.OwnerId != Me(principal) && user != Me(principal)) return ApiError.Result(403, "forbidden", "Only the owner removes others; anyone may leave.");
        if (user == group.OwnerId) return ApiError.Result(403, "forbidden", "The owner cannot leave their group; delete it instead.");
        await chats.RemoveMemberAsync(group.Id, user, ct);
        evictions.Evict(CallRoomKey.Group(group.Id), user);
        return Json(await ViewAsync(users, (await chats.FindGroupAsync(group.Id, ct))!, ct));
    }

    private static async Task<IResult> DeleteGroupAsync(string id, ClaimsPrincipal principal, UserStore users, ChatStore chats, CallEvictions evictions,
        CancellationToken ct)
    {
        var (group, missing) = await VisibleGroupAsync(id, principal, chats, ct);
        if (missing is not null) return missing;
        if (group!.OwnerId != Me(principal)) return ApiError.Result(403, "forbidden", "Only the group's owner deletes it.");
        await chats.DeleteGroupAsync(group.Id, ct);
        evictions.Evict(CallRoomKey.Group(group.Id), null);
        return Json(await ViewAsync(users, group, ct));
    }
}

/// <summary>A seed-001 call room: a private chat's or a group's, separate even when their ids are equal.</summary>
public static class CallRoomKey
{
    public static string Chat(long id) => $"chat-{id}";

    public static string Group(long id) => $"group-{id}";
}

/// <summary>Closes the call sockets of people who lost their place (removed from a group, or the group deleted),
/// through the room, on whichever node it is.</summary>
public sealed class CallEvictions(IRequiredActor<MediaRooms> rooms)
{
    /// <param name="user">Null: everyone in that room.</param>
    public void Evict(string room, Guid? user) => rooms.ActorRef.Tell(new EvictFromRoom(room, user?.ToString()));
}
