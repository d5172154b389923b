using System.Text.Json;
using Zvonim.Actors.Media;
using Zvonim.Actors.Peers;
using Zvonim.Web.Signaling;

namespace Zvonim.Web.ChatCalls;

/// <summary>
/// Seed 001's call socket: <c>join</c>, <c>offer</c> / <c>answer</c> with <c>payload: {type, sdp}</c>, <c>ice</c> with
/// <c>payload: {candidate, sdpMLineIndex, sdpMid}</c>, <c>leave</c>, each with <c>roomId</c> and <c>sessionId</c>. Unlike
/// the relaying dialects, the server is the other end of the WebRTC connection, so it reads the SDP. Invalid JSON is
/// ignored, as the seed says; a frame for another room, or a malformed one, gets an error frame.
/// </summary>
public sealed class ChatCallDialect(long roomId) : ISignalingDialect
{
    /// <summary>Longest session id a client may choose.</summary>
    public const int MaxSessionIdLength = 64;

    public Inbound Decode(ReadOnlySpan<byte> frame, string peerId)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return default; // ignored, as seed 001 says
        }
        using (document)
        {
            try
            {
                return Read(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // JsonDocument accepts an unpaired surrogate escape ("\udc00") and only reading the string throws:
                // such text is not valid JSON to the seed, so the frame is ignored like any other invalid JSON.
                return default;
            }
        }
    }

    private Inbound Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            return default;
        var type = typeElement.GetString();
        if (root.TryGetProperty("roomId", out var room) && !(room.ValueKind == JsonValueKind.Number && room.TryGetInt64(out var id) && id == roomId)
            && !(room.ValueKind == JsonValueKind.String && room.GetString() == roomId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            return Inbound.Fail(ErrorCodes.BadMessage, $"'roomId' must be {roomId}, the room of this socket.");
        var sessionId = root.TryGetProperty("sessionId", out var session) && session.ValueKind == JsonValueKind.String ? session.GetString() : null;
        if (sessionId is { Length: > MaxSessionIdLength })
            return Inbound.Fail(ErrorCodes.BadMessage, $"'sessionId' is limited to {MaxSessionIdLength} characters.");
        switch (type)
        {
            case "join":
                return new(new SessionJoin(sessionId), null);
            case "leave":
                return new(new SessionLeave(), null);
            case "offer" or "answer":
                if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object
                    || !payload.TryGetProperty("sdp", out var sdp) || sdp.ValueKind != JsonValueKind.String)
                    return Inbound.Fail(ErrorCodes.BadMessage, $"An '{type}' carries \"payload\": {{\"type\": \"{type}\", \"sdp\": \"...\"}}.");
                return new(type == "offer" ? new SessionOffer(sdp.GetString()!) : new SessionAnswer(sdp.GetString()!), null);
            case "ice":
                // The server is ICE-lite: its candidates are in its SDP and the browser's checks find it; the
                // browser's own candidates are not needed, so they are accepted and dropped.
                return new(null, null);
            default:
                return Inbound.Fail(ErrorCodes.UnknownType, $"Unknown message type '{Zvonim.Actors.Ids.Shorten(type ?? "")}'; expected join, offer, answer, ice or leave.");
        }
    }

    public byte[]? Encode(PeerEvent peerEvent) => peerEvent switch
    {
        SessionDescriptionEvent description => EventWriter.Write((description, roomId), static (w, s) =>
        {
            w.WriteString("type", s.description.Type);
            w.WriteStartObject("payload");
            w.WriteString("type", s.description.Type);
            w.WriteString("sdp", s.description.Sdp);
            w.WriteEndObject();
            w.WriteNumber("roomId", s.roomId);
            w.WriteString("sessionId", s.description.SessionId);
        }),
        ErrorEvent error => EventWriter.Error(error.Code, error.Message),
        _ => null,
    };
}
