using System.Buffers.Binary;

namespace Zvonim.Media.Rtp;

/// <summary>
/// The fixed header of an RTP packet (RFC 3550 §5.1) read over the packet's bytes, with the lengths a forwarder
/// needs: where the payload starts and how long it is without padding. Reading checks every length against the
/// datagram, so a header that reads is safe to slice by; nothing is copied.
/// </summary>
/// <remarks>A ref struct because it keeps the packet's span: it lives for one packet on the receive path.</remarks>
public readonly ref struct RtpHeader
{
    /// <summary>The fixed part: V/P/X/CC, M/PT, sequence number, timestamp, SSRC.</summary>
    public const int FixedLength = 12;

    private readonly ReadOnlySpan<byte> _packet;

    private RtpHeader(ReadOnlySpan<byte> packet, int extensionOffset, int extensionLength, int headerLength, int paddingLength)
    {
        _packet = packet;
        ExtensionOffset = extensionOffset;
        ExtensionLength = extensionLength;
        HeaderLength = headerLength;
        PaddingLength = paddingLength;
    }

    public int Version => _packet[0] >> 6;
    public bool Padding => (_packet[0] & 0x20) != 0;
    public bool Extension => (_packet[0] & 0x10) != 0;
    public int CsrcCount => _packet[0] & 0x0F;
    public bool Marker => (_packet[1] & 0x80) != 0;
    public byte PayloadType => (byte)(_packet[1] & 0x7F);
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_packet[2..]);
    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(_packet[4..]);
    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_packet[8..]);

    /// <summary>The header extension's profile (0xBEDE one-byte, 0x100X two-byte, RFC 8285), 0 without one.</summary>
    public ushort ExtensionProfile => Extension ? BinaryPrimitives.ReadUInt16BigEndian(_packet[(ExtensionOffset - 4)..]) : (ushort)0;

    /// <summary>Where the extension's elements start (after its 4-byte profile/length word); the header length when
    /// there is no extension.</summary>
    public int ExtensionOffset { get; }

    /// <summary>The extension's elements in bytes (4 × its length field), 0 without one.</summary>
    public int ExtensionLength { get; }

    /// <summary>12 + 4·CC + (X ? 4 + 4·length : 0): where the payload starts.</summary>
    public int HeaderLength { get; }

    /// <summary>The padding octets at the end, including the count octet itself; 0 when P is clear.</summary>
    public int PaddingLength { get; }

    public int PayloadOffset => HeaderLength;
    public int PayloadLength => _packet.Length - HeaderLength - PaddingLength;
    public ReadOnlySpan<byte> Payload => _packet.Slice(HeaderLength, PayloadLength);
    public ReadOnlySpan<byte> ExtensionData => _packet.Slice(ExtensionOffset, ExtensionLength);

    public uint Csrc(int index) =>
        (uint)index < (uint)CsrcCount ? BinaryPrimitives.ReadUInt32BigEndian(_packet[(FixedLength + 4 * index)..]) : 0;

    /// <summary>The value of extension element <paramref name="id"/> (one- or two-byte form), if present.</summary>
    public bool TryGetExtension(int id, out ReadOnlySpan<byte> value)
    {
        if (RtpExtensions.TryFind(_packet, id, out var offset, out var length))
        {
            value = _packet.Slice(offset, length);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>Reads the header of <paramref name="packet"/>: version 2, CSRCs, extension and padding all inside it.
    /// False (never an exception) for anything else.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out RtpHeader header)
    {
        header = default;
        if (packet.Length < FixedLength || packet[0] >> 6 != 2) return false;
        var length = FixedLength + 4 * (packet[0] & 0x0F);
        if (length > packet.Length) return false;

        int extensionOffset = length, extensionLength = 0;
        if ((packet[0] & 0x10) != 0)
        {
            if (length + 4 > packet.Length) return false;
            extensionLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]);
            extensionOffset = length + 4;
            length = extensionOffset + extensionLength;
            if (length > packet.Length) return false;
        }

        var padding = 0;
        if ((packet[0] & 0x20) != 0)
        {
            // The last octet counts the padding including itself (RFC 3550 §5.1), so 0 is not a valid count.
            padding = packet[^1];
            if (padding == 0 || padding > packet.Length - length) return false;
        }

        header = new RtpHeader(packet, extensionOffset, extensionLength, length, padding);
        return true;
    }
}
