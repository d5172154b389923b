namespace Zvonim.Media.Rtp;

/// <summary>
/// VP9 over RTP (RFC 9628): whether a packet starts a key frame, by the payload descriptor alone.
/// </summary>
/// <remarks>A key frame here is the start (B) of a frame that is not inter-picture predicted (P clear) in spatial
/// layer 0: what a decoder can start from, and what libwebrtc marks that way. The VP9 uncompressed header is not
/// parsed, so an intra-only frame that is not a key frame would also count; libwebrtc does not send those.</remarks>
public static class Vp9
{
    public static bool IsKeyFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) return false;
        var descriptor = payload[0];
        // I P L F B E V Z
        if ((descriptor & 0x40) != 0 || (descriptor & 0x08) == 0) return false; // P set, or not B
        var offset = 1;
        if ((descriptor & 0x80) != 0) // I: picture id, 15 bits when its M bit is set
        {
            if (payload.Length <= offset) return false;
            offset += (payload[offset] & 0x80) != 0 ? 2 : 1;
        }
        if ((descriptor & 0x20) != 0) // L: TID(3) U(1) SID(3) D(1)
        {
            if (payload.Length <= offset) return false;
            if (((payload[offset] >> 1) & 0x07) != 0) return false;
        }
        return payload.Length > offset;
    }
}
