using System.Buffers.Binary;

namespace Zvonim.Media.Rtcp;

/// <summary>
/// Walks the packets of a (decrypted) RTCP compound packet: <c>foreach (var packet in new RtcpReader(bytes))</c>, or
/// <see cref="MoveNext"/> by hand to learn through <see cref="Malformed"/> whether the walk stopped early. Every length
/// is checked before it is used, so a hostile compound ends the walk instead of throwing; the packets read before the
/// bad one are still given.
/// </summary>
public ref struct RtcpReader
{
    private const int HeaderLength = 4;

    private readonly ReadOnlySpan<byte> _compound;
    private int _offset;

    public RtcpReader(ReadOnlySpan<byte> compound)
    {
        _compound = compound;
        _offset = 0;
        Current = default;
        Malformed = false;
    }

    public RtcpPacket Current { get; private set; }

    /// <summary>The walk stopped at something that is not an RTCP packet (wrong version, a length past the end, a
    /// trailing fragment) rather than at the end.</summary>
    public bool Malformed { get; private set; }

    public readonly RtcpReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (Malformed || _offset >= _compound.Length) return false;
        var rest = _compound[_offset..];
        if (rest.Length < HeaderLength || rest[0] >> 6 != 2) return Stop();
        var length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(rest[2..]) + 1);
        if (length > rest.Length) return Stop();

        var packet = rest[..length];
        var type = packet[1];
        var count = packet[0] & 0x1F;
        var sender = length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(packet[4..]) : 0;
        uint media = 0;
        if (type is RtcpPacketType.TransportFeedback or RtcpPacketType.PayloadFeedback)
        {
            // FIR names its targets in FCI entries (SSRC, seq, 3 reserved); the header's media SSRC is unused there.
            var mediaOffset = type == RtcpPacketType.PayloadFeedback && count == RtcpPacketType.FullIntraRequest ? 12 : 8;
            if (length >= mediaOffset + 4) media = BinaryPrimitives.ReadUInt32BigEndian(packet[mediaOffset..]);
        }
        Current = new RtcpPacket(type, count, (packet[0] & 0x20) != 0, _offset, length, sender, media);
        _offset += length;
        return true;
    }

    private bool Stop()
    {
        Malformed = true;
        Current = default;
        return false;
    }
}
