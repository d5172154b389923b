using System.Buffers.Binary;

namespace Zvonim.Media.Rtcp;

/// <summary>
/// The feedback packets an SFU sends a publisher itself: key frame requests when a subscriber joins or asks (PLI, FIR)
/// and a NACK for a packet it lost. Each writes into the caller's buffer and returns the bytes written, 0 when the
/// buffer is too small.
/// </summary>
public static class RtcpWriter
{
    public const int PliLength = 12;
    public const int FirLength = 20;
    public const int NackLength = 16;

    /// <summary>A Picture Loss Indication (RFC 4585 §6.3.1): header with FMT 1 and PT 206, length 2, sender and media
    /// SSRC, no FCI.</summary>
    public static int Pli(Span<byte> destination, uint senderSsrc, uint mediaSsrc)
    {
        if (destination.Length < PliLength) return 0;
        WriteHeader(destination, RtcpPacketType.PictureLossIndication, RtcpPacketType.PayloadFeedback, PliLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], mediaSsrc);
        return PliLength;
    }

    /// <summary>A Full Intra Request (RFC 5104 §4.3.1): FMT 4, the header's media SSRC 0, one FCI entry naming
    /// <paramref name="mediaSsrc"/> with the command <paramref name="sequenceNumber"/> (advance it for each new request;
    /// a repeat with the same number is a retransmission the sender may ignore).</summary>
    public static int Fir(Span<byte> destination, uint senderSsrc, uint mediaSsrc, byte sequenceNumber)
    {
        if (destination.Length < FirLength) return 0;
        WriteHeader(destination, RtcpPacketType.FullIntraRequest, RtcpPacketType.PayloadFeedback, FirLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], mediaSsrc);
        destination[16] = sequenceNumber;
        destination.Slice(17, 3).Clear();
        return FirLength;
    }

    /// <summary>A generic NACK (RFC 4585 §6.2.1) with one FCI entry: <paramref name="sequenceNumber"/> and the bitmask
    /// of the 16 after it that are lost too.</summary>
    public static int Nack(Span<byte> destination, uint senderSsrc, uint mediaSsrc, ushort sequenceNumber, ushort following = 0)
    {
        if (destination.Length < NackLength) return 0;
        WriteHeader(destination, RtcpPacketType.GenericNack, RtcpPacketType.TransportFeedback, NackLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], mediaSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], sequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], following);
        return NackLength;
    }

    private static void WriteHeader(Span<byte> destination, int count, byte type, int length)
    {
        destination[0] = (byte)(0x80 | count);
        destination[1] = type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(length / 4 - 1));
    }
}
