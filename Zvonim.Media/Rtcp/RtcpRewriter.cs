using System.Buffers.Binary;

namespace Zvonim.Media.Rtcp;

/// <summary>
/// In-place edits of single RTCP packets (one <see cref="RtcpPacket.Slice(Span{byte})"/> of a compound) that an SFU
/// forwards. Downstream, a publisher's sender report goes to subscribers under the SSRC they know the stream by, with
/// its RTP timestamp moved by the forwarded stream's offset so lip sync still lines up. Upstream, a subscriber's
/// NACK, PLI or FIR names the SSRC it was sent, which has to become the publisher's. Each edit checks the packet and
/// returns false rather than throw; lengths are never changed except by <see cref="TrimSenderReport"/>.
/// </summary>
public static class RtcpRewriter
{
    private const int SenderReportLength = 28;

    /// <summary>Sets the SSRC after the header: the sender's of an SR, RR or feedback packet, the first chunk's of an
    /// SDES, the first source's of a BYE.</summary>
    public static bool SetSenderSsrc(Span<byte> packet, uint ssrc)
    {
        if (!IsPacket(packet, 8)) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], ssrc);
        return true;
    }

    /// <summary>Sets the media source a feedback packet (PT 205 or 206) is about: the header's media SSRC, or for a FIR
    /// the SSRC of every FCI entry (a FIR from a browser has one; one naming several streams cannot be split here).</summary>
    public static bool SetMediaSsrc(Span<byte> packet, uint ssrc)
    {
        if (!IsPacket(packet, 12) || packet[1] is not (RtcpPacketType.TransportFeedback or RtcpPacketType.PayloadFeedback))
            return false;
        if (packet[1] == RtcpPacketType.PayloadFeedback && (packet[0] & 0x1F) == RtcpPacketType.FullIntraRequest)
        {
            if (packet.Length < 20) return false;
            for (var entry = 12; entry + 8 <= packet.Length; entry += 8)
                BinaryPrimitives.WriteUInt32BigEndian(packet[entry..], ssrc);
            return true;
        }
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ssrc);
        return true;
    }

    /// <summary>Adds <paramref name="offset"/> (mod 2^32) to a sender report's RTP timestamp, the one that pairs with
    /// its NTP time.</summary>
    public static bool AddToSenderReportTimestamp(Span<byte> packet, uint offset)
    {
        if (!IsPacket(packet, SenderReportLength) || packet[1] != RtcpPacketType.SenderReport) return false;
        var timestamp = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[16..], timestamp + offset);
        return true;
    }

    /// <summary>Drops a sender report's reception report blocks (and any profile extension or padding): they describe
    /// what the publisher received from the SFU, which is none of a subscriber's business. Returns the new length (28),
    /// or 0 when <paramref name="packet"/> is not a sender report; the caller closes the gap in its compound.</summary>
    public static int TrimSenderReport(Span<byte> packet)
    {
        if (!IsPacket(packet, SenderReportLength) || packet[1] != RtcpPacketType.SenderReport) return 0;
        packet[0] = 0x80; // V=2, no padding, RC=0
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], SenderReportLength / 4 - 1);
        return SenderReportLength;
    }

    private static bool IsPacket(ReadOnlySpan<byte> packet, int minimum) =>
        packet.Length >= minimum && packet[0] >> 6 == 2
        && 4 * (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) + 1) == packet.Length;
}
