using System.Buffers.Binary;

namespace Zvonim.Media.Rtp;

/// <summary>
/// In-place edits of a (decrypted) RTP packet on its way from a publisher to a subscriber: the subscriber was told
/// other SSRCs, payload types and extension ids in its SDP than the publisher used, and its sequence numbers and
/// timestamps must stay continuous (see <see cref="SequenceRewriter"/>). Each edit checks the packet's length and
/// returns false rather than throw.
/// </summary>
/// <remarks>
/// Which extension handling a forwarder should use: <see cref="StripExtensions"/>. A receiving browser demultiplexes a
/// BUNDLE transport by MID when the packet carries the sdes:mid extension, and otherwise by SSRC when the SDP lists it
/// in a=ssrc lines (RFC 8843 §9.2, libwebrtc's RtpDemuxer), so an SFU that signals a=ssrc for every stream it sends
/// loses nothing by dropping the publisher's extensions, whose ids were negotiated with the publisher and may mean
/// something else to the subscriber. What is lost: audio-level, video orientation (the receiver then shows a phone's
/// video unrotated), abs-send-time and transport-wide-cc (no sender-side bandwidth estimation for that leg). When the
/// subscriber's SDP has no a=ssrc lines, use <see cref="TrySetMidOnly"/> so the packet carries the subscriber's MID.
/// </remarks>
public static class RtpRewriter
{
    public static bool SetSsrc(Span<byte> packet, uint ssrc)
    {
        if (packet.Length < RtpHeader.FixedLength) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ssrc);
        return true;
    }

    /// <summary>Sets the 7-bit payload type, keeping the marker bit.</summary>
    public static bool SetPayloadType(Span<byte> packet, byte payloadType)
    {
        if (packet.Length < RtpHeader.FixedLength || payloadType > 127) return false;
        packet[1] = (byte)((packet[1] & 0x80) | payloadType);
        return true;
    }

    public static bool SetSequenceNumber(Span<byte> packet, ushort sequenceNumber)
    {
        if (packet.Length < RtpHeader.FixedLength) return false;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], sequenceNumber);
        return true;
    }

    public static bool SetTimestamp(Span<byte> packet, uint timestamp)
    {
        if (packet.Length < RtpHeader.FixedLength) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], timestamp);
        return true;
    }

    public static bool SetMarker(Span<byte> packet, bool marker)
    {
        if (packet.Length < RtpHeader.FixedLength) return false;
        packet[1] = (byte)(marker ? packet[1] | 0x80 : packet[1] & 0x7F);
        return true;
    }

    /// <summary>Drops the whole header extension of the packet in <paramref name="buffer"/>[..<paramref name="length"/>]:
    /// clears X and moves the payload (and its padding) up over the extension, so the payload stays byte-identical.
    /// <paramref name="length"/> becomes the shorter length. A packet without an extension is left alone (true).</summary>
    public static bool StripExtensions(Span<byte> buffer, ref int length)
    {
        if ((uint)length > (uint)buffer.Length) return false;
        var packet = buffer[..length];
        if (!RtpHeader.TryRead(packet, out var header)) return false;
        if (!header.Extension) return true;
        var extensionStart = header.ExtensionOffset - 4;
        var blockLength = 4 + header.ExtensionLength;
        // Span.CopyTo is a memmove: overlapping source and destination are fine.
        packet[header.HeaderLength..].CopyTo(packet[extensionStart..]);
        packet[0] &= 0xEF;
        length -= blockLength;
        return true;
    }

    /// <summary>Replaces the packet's header extension (whatever it held, or none) by a one-byte extension with a
    /// single element: <paramref name="id"/> (the subscriber's sdes:mid id, 1–14) carrying <paramref name="mid"/>
    /// (1–16 bytes). The payload moves as needed; <paramref name="buffer"/> must have room when the block grows.
    /// Every other element is dropped because its id belongs to the publisher's negotiation.</summary>
    public static bool TrySetMidOnly(Span<byte> buffer, ref int length, int id, ReadOnlySpan<byte> mid)
    {
        if (id is < 1 or > 14 || mid.Length is < 1 or > 16 || (uint)length > (uint)buffer.Length) return false;
        if (!RtpHeader.TryRead(buffer[..length], out var header)) return false;
        var blockStart = RtpHeader.FixedLength + 4 * header.CsrcCount;
        var oldBlock = header.HeaderLength - blockStart;
        var words = (1 + mid.Length + 3) / 4;
        var newBlock = 4 + 4 * words;
        var newLength = length - oldBlock + newBlock;
        if (newLength > buffer.Length) return false;

        buffer[header.HeaderLength..length].CopyTo(buffer[(blockStart + newBlock)..]);
        var block = buffer.Slice(blockStart, newBlock);
        RtpExtensions.WriteOneByteBlockHeader(block, words);
        block[4] = (byte)((id << 4) | (mid.Length - 1));
        mid.CopyTo(block[5..]);
        block[(5 + mid.Length)..].Clear(); // padding bytes (id 0)
        buffer[0] |= 0x10;
        length = newLength;
        return true;
    }
}
