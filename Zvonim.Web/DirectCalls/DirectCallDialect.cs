using System.Text;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Users;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.DirectCalls;

/// <summary>
/// Seed 002's socket: every frame is <c>{"type": "...", "callId": "...", ...}</c>. The client says
/// <c>call:accept</c>, <c>call:reject</c>, <c>call:end</c> and <c>webrtc:offer</c> / <c>webrtc:answer</c> /
/// <c>webrtc:ice-candidate</c> (relayed to the other side of that call exactly as sent); the server says
/// <c>ready</c>, <c>call:incoming</c>, <c>call:accept</c>, <c>call:end</c> with a reason, the relayed frames, and
/// <c>error</c> (with the <c>callId</c> it is about, when there is one).
/// </summary>
public sealed class DirectCallDialect : ISignalingDialect
{
    public static readonly DirectCallDialect Instance = new();

    private const int Accept = 3, Reject = 4, End = 5;

    private static readonly byte[][] Types =
        [.. new[] { "webrtc:offer", "webrtc:answer", "webrtc:ice-candidate", "call:accept", "call:reject", "call:end" }.Select(Encoding.UTF8.GetBytes)];

    public Inbound Decode(ReadOnlySpan<byte> frame, string peerId)
    {
        if (FrameHeader.TryRead(frame, Types, out var header, "callId"u8) is { } error) return Inbound.Fail(ErrorCodes.BadJson, error);
        if (header.TypeIndex < 0)
            return Inbound.Fail(ErrorCodes.UnknownType,
                $"Unknown message type '{header.Type}'; expected call:accept, call:reject, call:end, webrtc:offer, webrtc:answer or webrtc:ice-candidate.");
        if (header.To is not { Length: > 0 and <= 64 } callId)
            return Inbound.Fail(ErrorCodes.BadMessage, "Every message needs the \"callId\" it is about.");
        object message = header.TypeIndex switch
        {
            Accept => new DeviceAnswer(callId, true),
            Reject => new DeviceAnswer(callId, false),
            End => new DeviceHangUp(callId),
            _ => new DeviceSignal(callId, new ClientSignal((SignalKind)header.TypeIndex, null, frame.ToArray())),
        };
        return new(message, null);
    }

    public byte[]? Encode(PeerEvent peerEvent) => peerEvent switch
    {
        SignalEvent signal => signal.Frame,
        CallIncomingEvent incoming => EventWriter.Write(incoming, static (w, e) =>
        {
            w.WriteString("type", "call:incoming");
            w.WriteString("callId", e.CallId);
            w.WriteString("from", e.FromName);
            w.WriteString("fromId", e.FromUserId);
        }),
        CallAcceptedEvent accepted => EventWriter.Write(accepted.CallId, static (w, id) =>
        {
            w.WriteString("type", "call:accept");
            w.WriteString("callId", id);
        }),
        CallEndEvent end => EventWriter.Write(end, static (w, e) =>
        {
            w.WriteString("type", "call:end");
            w.WriteString("callId", e.CallId);
            w.WriteString("reason", e.Reason);
        }),
        ReadyEvent ready => EventWriter.Write(ready.UserId, static (w, id) =>
        {
            w.WriteString("type", "ready");
            w.WriteString("userId", id);
        }),
        CallErrorEvent error => EventWriter.Write(error, static (w, e) =>
        {
            w.WriteString("type", "error");
            w.WriteString("error", e.Code);
            w.WriteString("message", e.Message);
            w.WriteString("callId", e.CallId);
        }),
        ErrorEvent error => EventWriter.Error(error.Code, error.Message),
        _ => null,
    };
}
