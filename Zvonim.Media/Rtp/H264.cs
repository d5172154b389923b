namespace Zvonim.Media.Rtp;

/// <summary>
/// H.264 over RTP (RFC 6184): whether a packet starts a key frame.
/// </summary>
/// <remarks>
/// A key frame counts from its SPS (NAL type 7) as well as from the IDR slice (type 5): libwebrtc sends SPS and PPS
/// just before the IDR (in a STAP-A or alone), and a forwarder that started at the IDR would have cut off the
/// parameter sets the decoder needs. Handled: single NAL unit packets, STAP-A (24) and the first fragment of FU-A
/// (28), i.e. packetization-mode 0 and 1. Not handled: STAP-B, MTAP and FU-B (interleaved mode, which browsers do not
/// use); those return false.
/// </remarks>
public static class H264
{
    private const int Idr = 5;
    private const int Sps = 7;
    private const int StapA = 24;
    private const int FuA = 28;

    public static bool IsKeyFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) return false;
        var type = payload[0] & 0x1F;
        switch (type)
        {
            case StapA:
                // Aggregated NAL units, each behind a 16-bit size.
                var offset = 1;
                while (offset + 2 < payload.Length)
                {
                    var size = (payload[offset] << 8) | payload[offset + 1];
                    offset += 2;
                    if (size == 0 || offset + size > payload.Length) return false;
                    if (IsKey(payload[offset] & 0x1F)) return true;
                    offset += size;
                }
                return false;
            case FuA:
                // FU header: S E R Type; only the start fragment says what the NAL unit is.
                return payload.Length >= 2 && (payload[1] & 0x80) != 0 && IsKey(payload[1] & 0x1F);
            default:
                return IsKey(type);
        }
    }

    private static bool IsKey(int nalType) => nalType is Idr or Sps;
}
