using Zvonim.Actors.Peers;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.LinkRooms;

/// <summary>
/// Seed 004 ("Web Call" MVP): <c>join</c>, <c>offer</c>, <c>answer</c>, <c>candidate</c>, <c>bye</c>. The server adds
/// <c>joined</c> (your peer_id, for resuming after a reload), <c>state</c>, and tells whoever is already there
/// <c>join</c> when the other arrives (that one makes the offer) and <c>bye</c> when they are gone for good.
/// </summary>
public sealed class LinkRoomDialect : ISignalingDialect
{
    public static readonly LinkRoomDialect Instance = new();

    private static readonly ClientVocabulary Words = new("offer", "answer", "candidate", "join", "bye");
    private static readonly byte[] JoinFrame = """{"type":"join"}"""u8.ToArray();
    private static readonly byte[] ByeFrame = """{"type":"bye"}"""u8.ToArray();

    public Inbound Decode(ReadOnlySpan<byte> frame, string peerId) => Words.Decode(frame);

    public byte[]? Encode(PeerEvent peerEvent) => peerEvent switch
    {
        SignalEvent signal => signal.Frame,
        WelcomeEvent welcome => EventWriter.Write(welcome, static (w, e) =>
        {
            w.WriteString("type", "joined");
            w.WriteString("peer_id", e.PeerId);
            w.WriteString("token", e.Snapshot.CallId);
        }),
        StateEvent state => EventWriter.Write(state.Snapshot, static (w, s) =>
        {
            w.WriteString("type", "state");
            w.WriteString("state", EventWriter.StatusName(s.Status));
            w.WriteNumber("participants", s.Count);
            w.WriteNumber("connected", s.ConnectedCount);
        }),
        PeerConnectedEvent { WasThereFirst: false } => JoinFrame, // only the one already there offers
        PeerLeftEvent => ByeFrame,
        ErrorEvent error => EventWriter.Error(error.Code, error.Message),
        _ => null,
    };
}
