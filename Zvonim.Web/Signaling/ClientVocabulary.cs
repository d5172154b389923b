using System.Text;
using Zvonim.Actors.Peers;

namespace Zvonim.Web.Signaling;

/// <summary>
/// A dialect's words for the five things a client can say: offer, answer and candidate (in <see cref="SignalKind"/>
/// order), join and leave. Reading a frame with it checks the JSON and finds the word without copying the payload.
/// </summary>
public sealed class ClientVocabulary(string offer, string answer, string candidate, string join, string leave)
{
    private const int Join = 3;
    private const int Leave = 4;

    private readonly byte[][] _types = [.. new[] { offer, answer, candidate, join, leave }.Select(Encoding.UTF8.GetBytes)];
    private readonly string _expected = string.Join(", ", join, offer, answer, candidate, leave);

    /// <summary>Reads the frame's header; an <see cref="Inbound"/> is returned when the frame is already dealt with
    /// (an error, a join or a leave), otherwise <paramref name="kind"/> says which signal it is.</summary>
    public Inbound? Read(ReadOnlySpan<byte> frame, out FrameHeader header, out SignalKind kind)
    {
        kind = default;
        if (FrameHeader.TryRead(frame, _types, out header) is { } error)
            return Inbound.Fail(ErrorCodes.BadJson, error);
        switch (header.TypeIndex)
        {
            case Join:
                return new Inbound(new ClientHello(), null);
            case Leave:
                return new Inbound(new ClientLeave(), null);
            case < 0:
                return Inbound.Fail(ErrorCodes.UnknownType, $"Unknown message type '{header.Type}'; expected one of {_expected}.");
            default:
                kind = (SignalKind)header.TypeIndex;
                return null;
        }
    }

    /// <summary>For dialects that relay signals to "the other side" byte for byte.</summary>
    public Inbound Decode(ReadOnlySpan<byte> frame) =>
        Read(frame, out _, out var kind) ?? new Inbound(new ClientSignal(kind, null, frame.ToArray()), null);
}
