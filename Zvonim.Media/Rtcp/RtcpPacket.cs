namespace Zvonim.Media.Rtcp;

/// <summary>
/// One packet of an RTCP compound packet as <see cref="RtcpReader"/> found it: its header fields and where it lies in
/// the compound, so the caller can slice the same bytes (read-only or, to rewrite, writable).
/// </summary>
public readonly struct RtcpPacket
{
    internal RtcpPacket(byte type, int count, bool padding, int offset, int length, uint senderSsrc, uint mediaSsrc)
    {
        Type = type;
        Count = count;
        Padding = padding;
        Offset = offset;
        Length = length;
        SenderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
    }

    /// <summary>The packet type (200 SR, 201 RR, ... see <see cref="RtcpPacketType"/>).</summary>
    public byte Type { get; }

    /// <summary>The 5-bit field after V and P: the report count of SR/RR, the source count of SDES/BYE, the FMT of
    /// feedback packets.</summary>
    public int Count { get; }

    public int Format => Count;
    public bool Padding { get; }

    /// <summary>Where the packet starts in the compound.</summary>
    public int Offset { get; }

    /// <summary>Its length in bytes, header included: 4 × (length field + 1).</summary>
    public int Length { get; }

    /// <summary>The first SSRC after the header: the sender's for SR, RR and feedback, the first chunk's for SDES, the
    /// first source's for BYE; 0 when the packet is too short to have one.</summary>
    public uint SenderSsrc { get; }

    /// <summary>The stream feedback is about: the media source SSRC of a NACK or PLI, the first FCI entry's SSRC of a
    /// FIR (whose header field is 0 by RFC 5104 §4.3.1.1); 0 for other packets.</summary>
    public uint MediaSsrc { get; }

    public bool IsSenderReport => Type == RtcpPacketType.SenderReport;
    public bool IsReceiverReport => Type == RtcpPacketType.ReceiverReport;
    public bool IsSourceDescription => Type == RtcpPacketType.SourceDescription;
    public bool IsBye => Type == RtcpPacketType.Bye;
    public bool IsNack => Type == RtcpPacketType.TransportFeedback && Count == RtcpPacketType.GenericNack;
    public bool IsPli => Type == RtcpPacketType.PayloadFeedback && Count == RtcpPacketType.PictureLossIndication;
    public bool IsFir => Type == RtcpPacketType.PayloadFeedback && Count == RtcpPacketType.FullIntraRequest;

    /// <summary>A PLI or FIR: the receiver asks for a key frame.</summary>
    public bool IsKeyFrameRequest => IsPli || IsFir;

    /// <summary>This packet's bytes within <paramref name="compound"/> (the span it was read from).</summary>
    public ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> compound) => compound.Slice(Offset, Length);

    /// <summary>This packet's bytes within <paramref name="compound"/>, to rewrite in place.</summary>
    public Span<byte> Slice(Span<byte> compound) => compound.Slice(Offset, Length);
}
