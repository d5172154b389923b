using System.Buffers.Binary;

namespace Zvonim.Media.Srtp;

/// <summary>Just enough RTP parsing for SRTP: where the header ends and the payload (the encrypted part) begins.</summary>
internal static class SrtpPacketLayout
{
    public const int FixedLength = 12;

    /// <summary>
    /// The header length, 12 + 4 * CC plus 4 + 4 * length for an extension when X is set (RFC 3550 §5.1, §5.3.1),
    /// or false when the packet is not version 2 or the header does not fit in it.
    /// </summary>
    public static bool TryGetLength(ReadOnlySpan<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length < FixedLength || packet[0] >> 6 != 2) return false;
        var end = FixedLength + 4 * (packet[0] & 0x0F);
        if ((packet[0] & 0x10) != 0)
        {
            if (end + 4 > packet.Length) return false;
            end += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(end + 2)..]);
        }

        if (end > packet.Length) return false;
        length = end;
        return true;
    }

    public static ushort SequenceNumber(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);

    public static uint Ssrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
}
