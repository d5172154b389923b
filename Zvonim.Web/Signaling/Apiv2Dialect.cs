using Zvonim.Actors.Peers;

namespace Zvonim.Web.Signaling;

/// <summary>
/// Seed 000 (apiv2): <c>join</c>, <c>state</c>, <c>offer</c>, <c>answer</c>, <c>ice-candidate</c>, <c>leave</c>.
/// Signalling frames go to the other participant byte for byte.
/// </summary>
public sealed class Apiv2Dialect : ISignalingDialect
{
    public static readonly Apiv2Dialect Instance = new();

    private static readonly byte[][] Types = ["offer"u8.ToArray(), "answer"u8.ToArray(), "ice-candidate"u8.ToArray(), "join"u8.ToArray(), "leave"u8.ToArray()];

    public Inbound Decode(ReadOnlySpan<byte> frame, string peerId)
    {
        if (FrameHeader.TryRead(frame, Types, out var header) is { } error)
            return Inbound.Fail(ErrorCodes.BadJson, error);
        return header.TypeIndex switch
        {
            0 => new(new ClientSignal(SignalKind.Offer, null, frame.ToArray()), null),
            1 => new(new ClientSignal(SignalKind.Answer, null, frame.ToArray()), null),
            2 => new(new ClientSignal(SignalKind.IceCandidate, null, frame.ToArray()), null),
            3 => new(new ClientHello(), null),
            4 => new(new ClientLeave(), null),
            _ => Inbound.Fail(ErrorCodes.UnknownType,
                $"Unknown message type '{header.Type}'; expected one of join, offer, answer, ice-candidate, leave."),
        };
    }

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
        PeerConnectedEvent connected => EventWriter.Write(connected.PeerId, static (w, id) =>
        {
            w.WriteString("type", "join");
            w.WriteString("peer_id", id);
        }),
        PeerLeftEvent left => EventWriter.Write(left.PeerId, static (w, id) =>
        {
            w.WriteString("type", "leave");
            w.WriteString("peer_id", id);
        }),
        ErrorEvent error => EventWriter.Error(error.Code, error.Message),
        _ => null,
    };
}
