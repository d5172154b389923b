namespace Zvonim.Media.Rtp;

/// <summary>
/// Tells apart the protocols WebRTC multiplexes on one UDP 5-tuple by their first byte (RFC 7983 §7): STUN 0–3,
/// DTLS 20–63, RTP and RTCP 128–191; RTCP then by its packet type in the second byte, 192–223 (RFC 5761 §4),
/// i.e. the RTP payload-type bits 64–95, which is why those payload types are never negotiated under rtcp-mux.
/// </summary>
public static class RtpDemux
{
    public static DatagramKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty) return DatagramKind.Unknown;
        var first = datagram[0];
        if (first <= 3) return DatagramKind.Stun;
        if (first is >= 20 and <= 63) return DatagramKind.Dtls;
        if (first is >= 128 and <= 191)
        {
            if (datagram.Length < 2) return DatagramKind.Unknown;
            return (datagram[1] & 0x7F) is >= 64 and <= 95 ? DatagramKind.Rtcp : DatagramKind.Rtp;
        }
        return DatagramKind.Unknown;
    }
}
