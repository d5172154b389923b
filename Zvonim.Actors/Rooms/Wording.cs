namespace Zvonim.Actors.Rooms;

/// <summary>How each dialect names what the core calls a call and a participant, so that refusals and log lines speak
/// the client's words: a group-room client hears of rooms and users, never of calls and peers.</summary>
public sealed record Wording(string Thing, string Member, string MemberId)
{
    public static Wording For(string kind) => kind switch
    {
        "group-room" => new("Room", "user", "user_id"),
        "link-room" => new("Room", "participant", "peer_id"),
        "direct-call" => new("Call", "user", "userId"),
        _ => new("Call", "peer", "peer_id"),
    };
}
