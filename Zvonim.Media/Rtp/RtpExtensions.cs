using System.Buffers.Binary;

namespace Zvonim.Media.Rtp;

/// <summary>
/// Header extension elements (RFC 8285): the one-byte form (profile 0xBEDE, ids 1–14, up to 16 bytes each) and the
/// two-byte form (profile 0x100X, ids 1–255, up to 255 bytes). Ids are whatever the SDP's a=extmap lines negotiated
/// with the sender, so they mean nothing to a different receiver until mapped.
/// </summary>
public static class RtpExtensions
{
    public const ushort OneByteProfile = 0xBEDE;

    /// <summary>0x100 followed by 4 "appbits" the application may use (RFC 8285 §4.3).</summary>
    public const ushort TwoByteProfileMask = 0xFFF0;
    public const ushort TwoByteProfile = 0x1000;

    /// <summary>Where the value of element <paramref name="id"/> lies in <paramref name="packet"/>. False when the
    /// packet does not read, has no extension of either form, or no such element.</summary>
    public static bool TryFind(ReadOnlySpan<byte> packet, int id, out int offset, out int length)
    {
        offset = length = 0;
        if (id is < 1 or > 255 || !RtpHeader.TryRead(packet, out var header) || !header.Extension) return false;
        var profile = header.ExtensionProfile;
        var start = header.ExtensionOffset;
        var end = start + header.ExtensionLength;
        if (profile == OneByteProfile) return id <= 14 && FindOneByte(packet, start, end, id, out offset, out length);
        if ((profile & TwoByteProfileMask) == TwoByteProfile) return FindTwoByte(packet, start, end, id, out offset, out length);
        return false;
    }

    /// <summary>Changes element <paramref name="fromId"/>'s id to <paramref name="toId"/> in place (same form, same
    /// value). False when there is no such element or <paramref name="toId"/> does not fit the form.</summary>
    public static bool TryRenameId(Span<byte> packet, int fromId, int toId)
    {
        if (!TryFind(packet, fromId, out var offset, out _)) return false;
        RtpHeader.TryRead(packet, out var header);
        if (header.ExtensionProfile == OneByteProfile)
        {
            if (toId is < 1 or > 14) return false;
            packet[offset - 1] = (byte)((toId << 4) | (packet[offset - 1] & 0x0F));
            return true;
        }
        if (toId is < 1 or > 255) return false;
        packet[offset - 2] = (byte)toId;
        return true;
    }

    private static bool FindOneByte(ReadOnlySpan<byte> packet, int position, int end, int id, out int offset, out int length)
    {
        offset = length = 0;
        while (position < end)
        {
            var element = packet[position];
            var elementId = element >> 4;
            if (elementId == 0) { position++; continue; } // padding byte (its length nibble must be 0; be lenient)
            if (elementId == 15) return false;            // reserved: "stop parsing" (RFC 8285 §4.2)
            var elementLength = (element & 0x0F) + 1;
            if (position + 1 + elementLength > end) return false;
            if (elementId == id)
            {
                offset = position + 1;
                length = elementLength;
                return true;
            }
            position += 1 + elementLength;
        }
        return false;
    }

    private static bool FindTwoByte(ReadOnlySpan<byte> packet, int position, int end, int id, out int offset, out int length)
    {
        offset = length = 0;
        while (position < end)
        {
            var elementId = packet[position];
            if (elementId == 0) { position++; continue; } // padding byte
            if (position + 2 > end) return false;
            var elementLength = packet[position + 1];
            if (position + 2 + elementLength > end) return false;
            if (elementId == id)
            {
                offset = position + 2;
                length = elementLength;
                return true;
            }
            position += 2 + elementLength;
        }
        return false;
    }

    /// <summary>The one-byte profile word plus its length word, as <see cref="RtpRewriter"/> writes it.</summary>
    internal static void WriteOneByteBlockHeader(Span<byte> destination, int words)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, OneByteProfile);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)words);
    }
}
