using Zvonim.Actors.Peers;

namespace Zvonim.Web.Signaling;

/// <summary>What the client said, in the core's words, or why it could not be understood.</summary>
public readonly record struct Inbound(object? Message, ErrorEvent? Error)
{
    public static Inbound Fail(string code, string message) => new(null, new ErrorEvent(code, message));
}

/// <summary>
/// One API's words on the socket. A dialect only translates: frames to core messages on the way in, core events to
/// frames on the way out. Room rules stay in the actors.
/// </summary>
public interface ISignalingDialect
{
    /// <param name="peerId">The socket's own peer id (some dialects check a claimed sender against it).</param>
    Inbound Decode(ReadOnlySpan<byte> frame, string peerId);

    /// <summary>The frame to send for <paramref name="peerEvent"/>, or null when this dialect has no word for it.</summary>
    byte[]? Encode(PeerEvent peerEvent);
}
