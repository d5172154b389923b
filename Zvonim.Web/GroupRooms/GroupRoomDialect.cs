using Zvonim.Actors.Peers;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.GroupRooms;

/// <summary>
/// Seed 003 (group rooms): <c>join</c>, <c>offer</c> / <c>answer</c> / <c>ice-candidate</c> with <c>from</c> and
/// <c>to</c> (a user id or "all"), <c>user-joined</c>, <c>user-left</c>. The server vouches for <c>from</c>: it is
/// written in when missing and a frame claiming someone else is refused.
/// </summary>
public sealed class GroupRoomDialect : ISignalingDialect
{
    public static readonly GroupRoomDialect Instance = new();

    private static readonly ClientVocabulary Words = new("offer", "answer", "ice-candidate", "join", "leave");

    public Inbound Decode(ReadOnlySpan<byte> frame, string peerId)
    {
        if (Words.Read(frame, out var header, out var kind) is { } handled) return handled;
        if (header.HasFrom && header.From != peerId)
            return Inbound.Fail(ErrorCodes.BadSender, "'from' must be your own user_id (or left out: the server fills it in).");
        var to = header.To is null or "all" ? null : header.To;
        var relayed = header.HasFrom ? frame.ToArray() : JsonSplice.PrependStringProperty(frame, "from", peerId);
        return new(new ClientSignal(kind, to, relayed), null);
    }

    public byte[]? Encode(PeerEvent peerEvent) => peerEvent switch
    {
        SignalEvent signal => signal.Frame,
        PeerConnectedEvent connected => EventWriter.Write(connected, static (w, e) =>
        {
            w.WriteString("type", "user-joined");
            w.WriteString("user_id", e.PeerId);
            w.WriteString("user_name", e.DisplayName);
        }),
        PeerLeftEvent left => EventWriter.Write(left.PeerId, static (w, id) =>
        {
            w.WriteString("type", "user-left");
            w.WriteString("user_id", id);
        }),
        ErrorEvent error => EventWriter.Error(error.Code, error.Message),
        _ => null,
    };
}
