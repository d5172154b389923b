using Zvonim.Actors.Rooms;

namespace Zvonim.Actors.Peers;

/// <summary>The <c>error</c> codes a socket can receive, shared by every dialect.</summary>
public static class ErrorCodes
{
    public const string NotFound = "not_found";
    public const string Full = "call_full";
    public const string Ended = "call_ended";
    public const string NotAParticipant = "unknown_peer";
    public const string BadJson = "invalid_json";
    public const string BadMessage = "invalid_message";
    public const string UnknownType = "unknown_type";
    public const string BadTarget = "invalid_target";
    public const string BadSender = "invalid_sender";
    public const string QueueFull = "queue_full";
    public const string ServerBusy = "server_busy";
    public const string Forbidden = "forbidden";
    public const string TooManyInvalid = "too_many_invalid_messages";
    public const string Busy = "busy";
    public const string Glare = "glare";
    public const string NotAnswered = "not_answered";
    public const string AnsweredElsewhere = "answered_elsewhere";

    public static string For(Refusal refusal) => refusal switch
    {
        Refusal.Full => Full,
        Refusal.Ended => Ended,
        Refusal.NotAParticipant => NotAParticipant,
        Refusal.AtCapacity => ServerBusy,
        Refusal.Forbidden => Forbidden,
        Refusal.Busy => Busy,
        Refusal.Glare => Glare,
        Refusal.NotAnswered => NotAnswered,
        Refusal.AnsweredElsewhere => AnsweredElsewhere,
        _ => NotFound,
    };
}
