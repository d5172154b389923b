using Zvonim.Actors.Peers;

namespace Zvonim.Web.Signaling;

/// <summary>
/// Seed 000 (apiv2): <c>join</c>, <c>state</c>, <c>offer</c>, <c>answer</c>, <c>ice-candidate</c>, <c>leave</c>.
/// Signalling frames go to the other participant byte for byte.
/// </summary>
public sealed class Apiv2Dialect : ISignalingDialect
{
    public static readonly Apiv2Dialect Instance = new();

    private static readonly ClientVocabulary Words = new("offer", "answer", "ice-candidate", "join", "leave");
    private static readonly byte[] JoinFrame = """{"type":"join"}"""u8.ToArray();
    private static readonly byte[] LeaveFrame = """{"type":"leave"}"""u8.ToArray();

    public Inbound Decode(ReadOnlySpan<byte> frame, string peerId) => Words.Decode(frame);

    public byte[]? Encode(PeerEvent peerEvent) => peerEvent switch
    {
        SignalEvent signal => signal.Frame,
        StateEvent state => EventWriter.Write(state.Snapshot, static (w, s) =>
        {
            w.WriteString("type", "state");
            w.WriteString("call_id", s.CallId);
            w.WriteString("status", EventWriter.StatusName(s.Status));
            w.WriteStartObject("participants");
            w.WriteNumber("count", s.Count);
            w.WriteNumber("connected", s.ConnectedCount);
            w.WriteEndObject();
        }),
        // No peer_id in join/leave: in apiv2 a peer_id is the key to its socket, so it is never told to the other side.
        PeerConnectedEvent => JoinFrame,
        PeerLeftEvent => LeaveFrame,
        ErrorEvent error => EventWriter.Error(error.Code, error.Message),
        _ => null,
    };
}
