namespace Zvonim.Media.Rtp;

/// <summary>
/// VP8 over RTP (RFC 7741): whether a packet starts a key frame, which is where a forwarder may start (or switch)
/// a subscriber's video without the decoder showing garbage.
/// </summary>
public static class Vp8
{
    /// <summary>True when <paramref name="payload"/> (the RTP payload) is the first packet of a key frame: the payload
    /// descriptor says start of partition 0 (S set, PID 0), and the VP8 frame tag has P (inverse key frame) clear with
    /// the key frame start code 9d 01 2a after it (RFC 6386 §9.1). Only the first packet of a frame can tell; the rest
    /// of a key frame's packets return false.</summary>
    public static bool IsKeyFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) return false;
        var descriptor = payload[0];
        if ((descriptor & 0x10) == 0 || (descriptor & 0x07) != 0) return false; // S, PID
        var offset = 1;
        if ((descriptor & 0x80) != 0) // X: the extension octet follows
        {
            if (payload.Length < 2) return false;
            var extension = payload[1];
            offset = 2;
            if ((extension & 0x80) != 0) // I: PictureID, 15 bits when its M bit is set, else 7
            {
                if (payload.Length <= offset) return false;
                offset += (payload[offset] & 0x80) != 0 ? 2 : 1;
            }
            if ((extension & 0x40) != 0) offset++;        // L: TL0PICIDX
            if ((extension & 0x30) != 0) offset++;        // T or K: one octet TID/Y/KEYIDX
        }
        // Frame tag (3 octets) then, for a key frame, the start code.
        if (payload.Length < offset + 6) return false;
        return (payload[offset] & 0x01) == 0
            && payload[offset + 3] == 0x9D && payload[offset + 4] == 0x01 && payload[offset + 5] == 0x2A;
    }
}
