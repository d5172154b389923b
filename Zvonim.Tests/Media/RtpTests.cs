using System.Buffers.Binary;
using Zvonim.Media.Rtcp;
using Zvonim.Media.Rtp;

namespace Zvonim.Tests.Media;

/// <summary>RTP and RTCP packets as an SFU reads, rewrites and forwards them: header parsing, in-place edits, demux,
/// compound RTCP, key frame detection and continuous numbering across source switches.</summary>
public sealed class RtpTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(char.IsAsciiHexDigit)));

    private static readonly byte[] Payload = [0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03];

    /// <summary>An RTP packet: fixed header, <paramref name="csrcs"/>, an extension block (profile, elements padded to
    /// words) when <paramref name="extension"/> is given, the payload and <paramref name="padding"/> octets.</summary>
    private static byte[] Rtp(byte[] payload, uint[]? csrcs = null, ushort profile = 0, byte[]? extension = null,
        int padding = 0, bool marker = false, byte payloadType = 96, ushort sequenceNumber = 1000,
        uint timestamp = 90000, uint ssrc = 0x11223344)
    {
        csrcs ??= [];
        var extensionWords = extension is null ? 0 : (extension.Length + 3) / 4;
        var extensionBlock = extension is null ? 0 : 4 + 4 * extensionWords;
        var packet = new byte[12 + 4 * csrcs.Length + extensionBlock + payload.Length + padding];
        packet[0] = (byte)(0x80 | (padding > 0 ? 0x20 : 0) | (extension is null ? 0 : 0x10) | csrcs.Length);
        packet[1] = (byte)((marker ? 0x80 : 0) | payloadType);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        var offset = 12;
        foreach (var csrc in csrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(offset), csrc);
            offset += 4;
        }
        if (extension is not null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), profile);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), (ushort)extensionWords);
            extension.CopyTo(packet, offset + 4);
            offset += extensionBlock;
        }
        payload.CopyTo(packet, offset);
        if (padding > 0) packet[^1] = (byte)padding;
        return packet;
    }

    // One-byte form: id 1 (sdes:mid "0"), id 3 with 2 bytes, then a padding byte.
    private static readonly byte[] OneByteElements = [0x10, (byte)'0', 0x31, 0xAA, 0xBB, 0x00];

    [Fact]
    public void A_header_with_csrcs_an_extension_and_padding_reads_every_field_and_length()
    {
        var packet = Rtp(Payload, csrcs: [0xA1, 0xB2], profile: 0xBEDE, extension: OneByteElements, padding: 3,
            marker: true, payloadType: 111, sequenceNumber: 65535, timestamp: 0xFFFFFFF0, ssrc: 0xCAFEBABE);

        Assert.True(RtpHeader.TryRead(packet, out var header));
        Assert.Equal(2, header.Version);
        Assert.True(header.Padding);
        Assert.True(header.Extension);
        Assert.Equal(2, header.CsrcCount);
        Assert.True(header.Marker);
        Assert.Equal(111, header.PayloadType);
        Assert.Equal(65535, header.SequenceNumber);
        Assert.Equal(0xFFFFFFF0u, header.Timestamp);
        Assert.Equal(0xCAFEBABEu, header.Ssrc);
        Assert.Equal(0xA1u, header.Csrc(0));
        Assert.Equal(0xB2u, header.Csrc(1));
        Assert.Equal(0u, header.Csrc(2));
        Assert.Equal(0xBEDE, header.ExtensionProfile);
        Assert.Equal(12 + 8 + 4 + 8, header.HeaderLength);
        Assert.Equal(header.HeaderLength, header.PayloadOffset);
        Assert.Equal(3, header.PaddingLength);
        Assert.Equal(Payload.Length, header.PayloadLength);
        Assert.Equal(Payload, header.Payload.ToArray());

        Assert.True(header.TryGetExtension(1, out var mid));
        Assert.Equal("0"u8.ToArray(), mid.ToArray());
        Assert.True(header.TryGetExtension(3, out var three));
        Assert.Equal(new byte[] { 0xAA, 0xBB }, three.ToArray());
        Assert.False(header.TryGetExtension(2, out _));
        Assert.False(header.TryGetExtension(15, out _));
    }

    [Fact]
    public void A_plain_header_has_its_payload_right_after_twelve_bytes()
    {
        var packet = Rtp(Payload);
        Assert.True(RtpHeader.TryRead(packet, out var header));
        Assert.False(header.Padding || header.Extension || header.Marker);
        Assert.Equal(12, header.HeaderLength);
        Assert.Equal(0, header.ExtensionProfile);
        Assert.Equal(Payload, header.Payload.ToArray());
        Assert.False(header.TryGetExtension(1, out _));
    }

    [Fact]
    public void Two_byte_extension_elements_are_found_and_renamed()
    {
        // Two-byte form: id 5 with 3 bytes, a padding byte, id 200 with 0 bytes, id 9 with 1 byte.
        byte[] elements = [0x05, 0x03, 0x61, 0x62, 0x63, 0x00, 0xC8, 0x00, 0x09, 0x01, 0x7F];
        var packet = Rtp(Payload, profile: 0x1003, extension: elements);
        Assert.True(RtpHeader.TryRead(packet, out var header));
        Assert.True(header.TryGetExtension(5, out var five));
        Assert.Equal("abc"u8.ToArray(), five.ToArray());
        Assert.True(header.TryGetExtension(200, out var empty));
        Assert.True(empty.IsEmpty);
        Assert.True(header.TryGetExtension(9, out var nine));
        Assert.Equal(new byte[] { 0x7F }, nine.ToArray());

        Assert.True(RtpExtensions.TryRenameId(packet, 5, 17));
        Assert.False(RtpExtensions.TryFind(packet, 5, out _, out _));
        Assert.True(RtpExtensions.TryFind(packet, 17, out var offset, out var length));
        Assert.Equal("abc"u8.ToArray(), packet.AsSpan(offset, length).ToArray());

        var oneByte = Rtp(Payload, profile: 0xBEDE, extension: OneByteElements);
        Assert.True(RtpExtensions.TryRenameId(oneByte, 1, 4));
        Assert.True(RtpExtensions.TryFind(oneByte, 4, out offset, out length));
        Assert.Equal("0"u8.ToArray(), oneByte.AsSpan(offset, length).ToArray());
        Assert.False(RtpExtensions.TryRenameId(oneByte, 4, 15)); // 15 does not fit the one-byte form
        Assert.False(RtpExtensions.TryRenameId(oneByte, 1, 4));  // gone
    }

    [Fact]
    public void Malformed_packets_are_refused_without_exceptions()
    {
        var good = Rtp(Payload, csrcs: [1], profile: 0xBEDE, extension: OneByteElements, padding: 2);
        Assert.True(RtpHeader.TryRead(good, out _));

        Assert.False(RtpHeader.TryRead([], out _));
        Assert.False(RtpHeader.TryRead(good.AsSpan(0, 11), out _)); // shorter than the fixed header

        var version1 = (byte[])good.Clone();
        version1[0] = (byte)((version1[0] & 0x3F) | 0x40);
        Assert.False(RtpHeader.TryRead(version1, out _));

        var csrcsPastEnd = Rtp([], csrcs: [1, 2]);
        Assert.False(RtpHeader.TryRead(csrcsPastEnd.AsSpan(0, 16), out _));

        var extensionHeaderPastEnd = Rtp([], profile: 0xBEDE, extension: [0x10, 0x41]);
        Assert.False(RtpHeader.TryRead(extensionHeaderPastEnd.AsSpan(0, 14), out _));

        var extensionPastEnd = Rtp(Payload, profile: 0xBEDE, extension: OneByteElements);
        BinaryPrimitives.WriteUInt16BigEndian(extensionPastEnd.AsSpan(14), 1000);
        Assert.False(RtpHeader.TryRead(extensionPastEnd, out _));

        var paddingZero = (byte[])good.Clone();
        paddingZero[^1] = 0;
        Assert.False(RtpHeader.TryRead(paddingZero, out _));

        var paddingPastHeader = (byte[])good.Clone();
        paddingPastHeader[^1] = 200;
        Assert.False(RtpHeader.TryRead(paddingPastHeader, out _));

        // An element whose length runs past the extension block is not found, and nothing throws.
        var elementPastBlock = Rtp(Payload, profile: 0xBEDE, extension: [0x1F, 0x00, 0x00, 0x00]);
        Assert.True(RtpHeader.TryRead(elementPastBlock, out var header));
        Assert.False(header.TryGetExtension(1, out _));
    }

    [Fact]
    public void Every_prefix_and_random_mutation_of_a_packet_is_handled_without_exceptions()
    {
        var good = Rtp(Payload, csrcs: [1], profile: 0xBEDE, extension: OneByteElements, padding: 2);
        var random = new Random(7983);
        var buffer = new byte[good.Length + 32];
        for (var round = 0; round < 20000; round++)
        {
            var packet = (byte[])good.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--) packet[random.Next(packet.Length)] = (byte)random.Next(256);
            var cut = packet.AsSpan(0, random.Next(packet.Length + 1));
            if (RtpHeader.TryRead(cut, out var header))
            {
                Assert.InRange(header.HeaderLength + header.PayloadLength + header.PaddingLength, 12, cut.Length);
                header.TryGetExtension(random.Next(1, 15), out _);
            }
            RtpDemux.Classify(cut);
            Vp8.IsKeyFrame(cut);
            Vp9.IsKeyFrame(cut);
            H264.IsKeyFrame(cut);
            foreach (var _ in new RtcpReader(cut)) { }
            foreach (var _ in RtcpNack.Lost(cut)) { }
            cut.CopyTo(buffer);
            var length = cut.Length;
            RtpRewriter.StripExtensions(buffer, ref length);
            length = cut.Length;
            RtpRewriter.TrySetMidOnly(buffer, ref length, 1, "video"u8);
        }
    }

    [Fact]
    public void Ssrc_payload_type_sequence_number_and_timestamp_are_rewritten_in_place()
    {
        var packet = Rtp(Payload, marker: true, payloadType: 100);
        Assert.True(RtpRewriter.SetSsrc(packet, 0x01020304));
        Assert.True(RtpRewriter.SetPayloadType(packet, 96));
        Assert.True(RtpRewriter.SetSequenceNumber(packet, 42));
        Assert.True(RtpRewriter.SetTimestamp(packet, 0xDEADBEEF));
        Assert.True(RtpHeader.TryRead(packet, out var header));
        Assert.Equal(0x01020304u, header.Ssrc);
        Assert.Equal(96, header.PayloadType);
        Assert.True(header.Marker); // the marker shares the payload type's byte and survives
        Assert.Equal(42, header.SequenceNumber);
        Assert.Equal(0xDEADBEEFu, header.Timestamp);
        Assert.Equal(Payload, header.Payload.ToArray());

        Assert.True(RtpRewriter.SetMarker(packet, false));
        Assert.True(RtpHeader.TryRead(packet, out header));
        Assert.False(header.Marker);
        Assert.Equal(96, header.PayloadType);

        Assert.False(RtpRewriter.SetPayloadType(packet, 128));
        Assert.False(RtpRewriter.SetSsrc(new byte[11], 1));
    }

    [Fact]
    public void Stripping_extensions_keeps_csrcs_payload_and_padding_byte_identical()
    {
        var original = Rtp(Payload, csrcs: [7, 8], profile: 0xBEDE, extension: OneByteElements, padding: 4, ssrc: 99);
        var buffer = original.Concat(new byte[16]).ToArray();
        var length = original.Length;
        Assert.True(RtpRewriter.StripExtensions(buffer, ref length));
        Assert.Equal(original.Length - 12, length);

        var expected = Rtp(Payload, csrcs: [7, 8], padding: 4, ssrc: 99);
        Assert.Equal(expected, buffer.AsSpan(0, length).ToArray());
        Assert.True(RtpHeader.TryRead(buffer.AsSpan(0, length), out var header));
        Assert.False(header.Extension);
        Assert.Equal(Payload, header.Payload.ToArray());

        // Without an extension there is nothing to do; a packet that does not read is refused.
        var plain = Rtp(Payload);
        var plainLength = plain.Length;
        Assert.True(RtpRewriter.StripExtensions(plain, ref plainLength));
        Assert.Equal(Rtp(Payload), plain);
        var bad = new byte[5];
        var badLength = 5;
        Assert.False(RtpRewriter.StripExtensions(bad, ref badLength));
        Assert.Equal(5, badLength);
    }

    [Fact]
    public void The_extension_block_can_be_replaced_by_the_subscribers_mid_alone()
    {
        byte[] twoByte = [0x05, 0x03, 0x61, 0x62, 0x63, 0x00, 0x09, 0x01, 0x7F];
        var original = Rtp(Payload, csrcs: [7], profile: 0x1000, extension: twoByte, padding: 2);
        var buffer = new byte[original.Length + 32];
        original.CopyTo(buffer, 0);
        var length = original.Length;

        Assert.True(RtpRewriter.TrySetMidOnly(buffer, ref length, 4, "video-17"u8));
        var packet = buffer.AsSpan(0, length);
        Assert.True(RtpHeader.TryRead(packet, out var header));
        Assert.Equal(0xBEDE, header.ExtensionProfile);
        Assert.True(header.TryGetExtension(4, out var mid));
        Assert.Equal("video-17"u8.ToArray(), mid.ToArray());
        Assert.False(header.TryGetExtension(5, out _));
        Assert.Equal(7u, header.Csrc(0));
        Assert.Equal(Payload, header.Payload.ToArray());
        Assert.Equal(2, header.PaddingLength);

        // A packet with no extension gains one; a buffer without room is refused and left alone.
        var plain = Rtp(Payload);
        var roomy = plain.Concat(new byte[8]).ToArray();
        var plainLength = plain.Length;
        Assert.True(RtpRewriter.TrySetMidOnly(roomy, ref plainLength, 1, "0"u8));
        Assert.Equal(plain.Length + 8, plainLength);
        Assert.True(RtpHeader.TryRead(roomy.AsSpan(0, plainLength), out header));
        Assert.True(header.TryGetExtension(1, out mid));
        Assert.Equal("0"u8.ToArray(), mid.ToArray());
        Assert.Equal(Payload, header.Payload.ToArray());

        var tight = Rtp(Payload);
        var tightLength = tight.Length;
        Assert.False(RtpRewriter.TrySetMidOnly(tight, ref tightLength, 1, "0"u8));
        Assert.Equal(Rtp(Payload), tight);
        Assert.False(RtpRewriter.TrySetMidOnly(roomy, ref plainLength, 15, "0"u8));
        Assert.False(RtpRewriter.TrySetMidOnly(roomy, ref plainLength, 1, new byte[17]));
    }

    [Theory]
    [InlineData("00 01 00 00", DatagramKind.Stun)]
    [InlineData("03", DatagramKind.Stun)]
    [InlineData("16 fe fd", DatagramKind.Dtls)]
    [InlineData("14", DatagramKind.Dtls)]
    [InlineData("3f", DatagramKind.Dtls)]
    [InlineData("80 60", DatagramKind.Rtp)]            // PT 96
    [InlineData("80 e0", DatagramKind.Rtp)]            // PT 96 with the marker
    [InlineData("90 6f", DatagramKind.Rtp)]            // PT 111, extension
    [InlineData("bf 00", DatagramKind.Rtp)]
    [InlineData("80 c8", DatagramKind.Rtcp)]           // SR
    [InlineData("81 c9", DatagramKind.Rtcp)]           // RR
    [InlineData("81 ce", DatagramKind.Rtcp)]           // PSFB
    [InlineData("80 df", DatagramKind.Rtcp)]           // 223, the top of RFC 5761's range
    [InlineData("80 e0 00", DatagramKind.Rtp)]         // 224 is RTP again (PT 96 + M)
    [InlineData("80", DatagramKind.Unknown)]           // too short to tell
    [InlineData("", DatagramKind.Unknown)]
    [InlineData("04", DatagramKind.Unknown)]
    [InlineData("10", DatagramKind.Unknown)]           // ZRTP
    [InlineData("40", DatagramKind.Unknown)]           // TURN channel
    [InlineData("c0 00", DatagramKind.Unknown)]
    [InlineData("ff", DatagramKind.Unknown)]
    public void Datagrams_are_told_apart_by_their_first_bytes(string hex, DatagramKind kind) =>
        Assert.Equal(kind, RtpDemux.Classify(Hex(hex)));

    // SR (RC=1, one report block) from 0x11111111, then SDES with one CNAME chunk.
    private static readonly byte[] SenderReportAndSdes = Hex("""
        81 c8 00 0c 11 11 11 11  e5 4b 8f 2c 12 34 56 78  00 01 5f 90 00 00 00 2a  00 00 10 00
        22 22 22 22 00 00 00 00  00 00 00 05 00 00 00 00  00 00 00 00 00 00 00 00
        81 ca 00 03 11 11 11 11  01 04 61 62 63 64 00 00
        """);

    [Fact]
    public void A_compound_sender_report_and_source_description_are_walked_in_order()
    {
        var reader = new RtcpReader(SenderReportAndSdes);
        Assert.True(reader.MoveNext());
        var sr = reader.Current;
        Assert.True(sr.IsSenderReport);
        Assert.Equal(1, sr.Count);
        Assert.Equal(0, sr.Offset);
        Assert.Equal(52, sr.Length);
        Assert.Equal(0x11111111u, sr.SenderSsrc);
        Assert.Equal(0u, sr.MediaSsrc);

        Assert.True(reader.MoveNext());
        var sdes = reader.Current;
        Assert.True(sdes.IsSourceDescription);
        Assert.Equal(52, sdes.Offset);
        Assert.Equal(16, sdes.Length);
        Assert.Equal(0x11111111u, sdes.SenderSsrc);
        Assert.Equal("abcd"u8.ToArray(), sdes.Slice(SenderReportAndSdes)[10..14].ToArray());

        Assert.False(reader.MoveNext());
        Assert.False(reader.Malformed);
    }

    [Fact]
    public void A_receiver_report_with_a_pli_and_a_nack_name_the_streams_they_are_about()
    {
        Span<byte> pli = stackalloc byte[RtcpWriter.PliLength];
        RtcpWriter.Pli(pli, 0xAAAA0001, 0xBBBB0002);
        Span<byte> nack = stackalloc byte[RtcpWriter.NackLength];
        RtcpWriter.Nack(nack, 0xAAAA0001, 0xBBBB0003, 65534, 0b1000_0000_0000_0101);
        var compound = Hex("81 c9 00 07 aa aa 00 01 bb bb 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
            .Concat(pli.ToArray()).Concat(nack.ToArray()).ToArray();

        var kinds = new List<(byte Type, int Fmt, uint Sender, uint Media)>();
        foreach (var packet in new RtcpReader(compound)) kinds.Add((packet.Type, packet.Format, packet.SenderSsrc, packet.MediaSsrc));
        Assert.Equal(
            [(RtcpPacketType.ReceiverReport, 1, 0xAAAA0001u, 0u), (RtcpPacketType.PayloadFeedback, 1, 0xAAAA0001u, 0xBBBB0002u),
             (RtcpPacketType.TransportFeedback, 1, 0xAAAA0001u, 0xBBBB0003u)],
            kinds);

        var reader = new RtcpReader(compound);
        reader.MoveNext();
        Assert.True(reader.MoveNext() && reader.Current.IsPli && reader.Current.IsKeyFrameRequest);
        Assert.True(reader.MoveNext() && reader.Current.IsNack);
        var lost = new List<ushort>();
        foreach (var sequenceNumber in RtcpNack.Lost(reader.Current.Slice(compound))) lost.Add(sequenceNumber);
        Assert.Equal(new ushort[] { 65534, 65535, 1, 14 }, lost); // PID, then BLP bits 0, 2 and 15, wrapping
    }

    [Fact]
    public void A_bad_packet_in_a_compound_ends_the_walk_after_the_good_ones()
    {
        var compound = (byte[])SenderReportAndSdes.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(compound.AsSpan(54), 100); // the SDES claims 404 bytes
        var reader = new RtcpReader(compound);
        Assert.True(reader.MoveNext() && reader.Current.IsSenderReport);
        Assert.False(reader.MoveNext());
        Assert.True(reader.Malformed);
        Assert.False(reader.MoveNext());

        var version = new RtcpReader(Hex("41 c9 00 01 00 00 00 01"));
        Assert.False(version.MoveNext());
        Assert.True(version.Malformed);

        var fragment = new RtcpReader(Hex("81 c9 00 01 00 00 00 01 81"));
        Assert.True(fragment.MoveNext());
        Assert.False(fragment.MoveNext());
        Assert.True(fragment.Malformed);

        Assert.False(new RtcpReader([]).MoveNext());
        Assert.Empty(Lost(Hex("81 ce 00 02 00 00 00 01 00 00 00 02"))); // a PLI is not a NACK
    }

    private static List<ushort> Lost(byte[] packet)
    {
        var lost = new List<ushort>();
        foreach (var sequenceNumber in RtcpNack.Lost(packet)) lost.Add(sequenceNumber);
        return lost;
    }

    [Fact]
    public void Pli_and_fir_are_laid_out_as_rfc_4585_and_5104_say()
    {
        var buffer = new byte[32];
        Assert.Equal(12, RtcpWriter.Pli(buffer, 0x01020304, 0x0A0B0C0D));
        // V=2 P=0 FMT=1 | PT=206 | length 2 | sender SSRC | media source SSRC
        Assert.Equal(Hex("81 ce 00 02 01 02 03 04 0a 0b 0c 0d"), buffer[..12]);

        Assert.Equal(20, RtcpWriter.Fir(buffer, 0x01020304, 0x0A0B0C0D, 7));
        // V=2 P=0 FMT=4 | PT=206 | length 4 | sender SSRC | media source SSRC 0 | FCI: SSRC, seq nr, 3 reserved
        Assert.Equal(Hex("84 ce 00 04 01 02 03 04 00 00 00 00 0a 0b 0c 0d 07 00 00 00"), buffer[..20]);

        var reader = new RtcpReader(buffer.AsSpan(0, 20));
        Assert.True(reader.MoveNext());
        Assert.True(reader.Current.IsFir && reader.Current.IsKeyFrameRequest);
        Assert.Equal(0x0A0B0C0Du, reader.Current.MediaSsrc);

        Assert.Equal(16, RtcpWriter.Nack(buffer, 1, 2, 0x1234, 0x0003));
        Assert.Equal(Hex("81 cd 00 03 00 00 00 01 00 00 00 02 12 34 00 03"), buffer[..16]);

        Assert.Equal(0, RtcpWriter.Pli(new byte[11], 1, 2));
        Assert.Equal(0, RtcpWriter.Fir(new byte[19], 1, 2, 0));
    }

    [Fact]
    public void Forwarded_reports_take_the_subscribers_ssrc_and_feedback_the_publishers()
    {
        var compound = (byte[])SenderReportAndSdes.Clone();
        var reader = new RtcpReader(compound);
        Assert.True(reader.MoveNext());
        var sr = reader.Current.Slice(compound.AsSpan());
        Assert.True(RtcpRewriter.SetSenderSsrc(sr, 0x5EED0001));
        Assert.True(RtcpRewriter.AddToSenderReportTimestamp(sr, 0xFFFF0000)); // 0x00015f90 + offset, mod 2^32
        Assert.Equal(28, RtcpRewriter.TrimSenderReport(sr));
        Assert.Equal(Hex("80 c8 00 06 5e ed 00 01 e5 4b 8f 2c 12 34 56 78 00 00 5f 90 00 00 00 2a 00 00 10 00"), compound[..28]);
        Assert.True(reader.MoveNext());
        Assert.True(RtcpRewriter.SetSenderSsrc(reader.Current.Slice(compound.AsSpan()), 0x5EED0001));
        Assert.Equal(Hex("5e ed 00 01"), compound[56..60]);

        var pli = new byte[12];
        RtcpWriter.Pli(pli, 1, 0x5EED0001);
        Assert.True(RtcpRewriter.SetMediaSsrc(pli, 0x0BADF00D));
        Assert.Equal(Hex("81 ce 00 02 00 00 00 01 0b ad f0 0d"), pli);

        var fir = new byte[20];
        RtcpWriter.Fir(fir, 1, 0x5EED0001, 3);
        Assert.True(RtcpRewriter.SetMediaSsrc(fir, 0x0BADF00D));
        Assert.Equal(Hex("84 ce 00 04 00 00 00 01 00 00 00 00 0b ad f0 0d 03 00 00 00"), fir);

        var nack = new byte[16];
        RtcpWriter.Nack(nack, 1, 0x5EED0001, 10);
        Assert.True(RtcpRewriter.SetMediaSsrc(nack, 0x0BADF00D));
        Assert.Equal(Hex("0b ad f0 0d"), nack[8..12]);

        Assert.False(RtcpRewriter.SetMediaSsrc(compound.AsSpan(0, 28), 1)); // an SR is not feedback
        Assert.False(RtcpRewriter.SetSenderSsrc(compound.AsSpan(0, 27), 1)); // not one whole packet
        Assert.False(RtcpRewriter.AddToSenderReportTimestamp(pli, 1));
        Assert.Equal(0, RtcpRewriter.TrimSenderReport(pli));
    }

    // A VP8 key frame's first bytes: frame tag (P bit clear), start code 9d 01 2a, 640x480.
    private static readonly byte[] Vp8KeyFrame = Hex("50 42 00 9d 01 2a 80 02 e0 01");
    // An interframe's tag: P set, no start code.
    private static readonly byte[] Vp8InterFrame = Hex("31 42 00 11 22 33 44 55 66 77");

    [Theory]
    [InlineData("10", true)]                    // S, PID 0, no extension
    [InlineData("90 80 05", true)]              // X, I with a 7-bit picture id
    [InlineData("90 e0 81 23 45 a0", true)]     // X, I (15-bit picture id), L, T
    [InlineData("90 10 40", true)]              // X, K
    [InlineData("00", false)]                   // not the start of a partition
    [InlineData("11", false)]                   // start of partition 1, not 0
    [InlineData("b0 80 05", true)]              // N (non-reference) does not matter
    public void Vp8_key_frames_are_told_from_delta_frames_by_descriptor_and_frame_tag(string descriptor, bool startsFrame)
    {
        var header = Hex(descriptor);
        Assert.Equal(startsFrame, Vp8.IsKeyFrame([.. header, .. Vp8KeyFrame]));
        Assert.False(Vp8.IsKeyFrame([.. header, .. Vp8InterFrame]));
        Assert.False(Vp8.IsKeyFrame([.. header, .. Vp8KeyFrame[..5]])); // cut before the start code ends
        var noStartCode = Vp8KeyFrame.ToArray();
        noStartCode[3] = 0x9C;
        Assert.False(Vp8.IsKeyFrame([.. header, .. noStartCode]));
        Assert.False(Vp8.IsKeyFrame(header.AsSpan(0, 1)));
        Assert.False(Vp8.IsKeyFrame([]));
    }

    [Theory]
    [InlineData("65 88 84", true)]                                    // IDR slice alone
    [InlineData("67 42 c0 1f", true)]                                 // SPS alone, ahead of the IDR
    [InlineData("41 9a 02", false)]                                   // non-IDR slice
    [InlineData("68 ce 3c 80", false)]                                // PPS alone
    [InlineData("18 00 04 67 42 c0 1f 00 03 68 ce 3c", true)]         // STAP-A: SPS, PPS
    [InlineData("18 00 02 09 10 00 03 65 88 84", true)]               // STAP-A: AUD, IDR
    [InlineData("18 00 03 41 9a 02", false)]                          // STAP-A: non-IDR slice
    [InlineData("18 00 09 67 42", false)]                             // STAP-A with a size past the end
    [InlineData("7c 85 88 84", true)]                                 // FU-A, start of an IDR
    [InlineData("7c 05 88 84", false)]                                // FU-A, middle of an IDR
    [InlineData("5c 81 9a", false)]                                   // FU-A, start of a non-IDR slice
    [InlineData("7c", false)]                                         // FU-A without its FU header
    [InlineData("", false)]
    public void H264_key_frames_start_at_the_sps_or_the_idr_in_any_packetization(string payload, bool keyFrame) =>
        Assert.Equal(keyFrame, H264.IsKeyFrame(Hex(payload)));

    [Theory]
    [InlineData("88 11 22", true)]                // I, B: 7-bit picture id, not predicted
    [InlineData("8c 91 23 44", true)]             // I (15-bit), B, E
    [InlineData("a8 11 00 00 33", true)]          // I, L (SID 0), B
    [InlineData("a8 11 02 00 33", false)]         // SID 1: not the base layer
    [InlineData("c8 11 22", false)]               // P: inter-predicted
    [InlineData("84 11 22", false)]               // E only: not the beginning of a frame
    [InlineData("88", false)]                     // cut inside the picture id
    public void Vp9_key_frames_are_the_unpredicted_start_of_the_base_layer(string payload, bool keyFrame) =>
        Assert.Equal(keyFrame, Vp9.IsKeyFrame(Hex(payload)));

    [Fact]
    public void A_switch_of_source_keeps_sequence_numbers_and_timestamps_continuous()
    {
        var rewriter = new SequenceRewriter(timestampStep: 3000);
        var sent = new List<(ushort Seq, uint Ts)>();
        void Send(uint ssrc, ushort seq, uint ts)
        {
            Assert.True(rewriter.TryRewrite(ssrc, seq, ts, out var outSeq, out var outTs));
            sent.Add((outSeq, outTs));
        }

        for (ushort i = 0; i < 3; i++) Send(0xA, (ushort)(500 + i), 10_000 + 3000u * i);
        Assert.Equal([(500, 10_000u), (501, 13_000u), (502, 16_000u)], sent);

        // Another speaker, far away in both numbering spaces.
        sent.Clear();
        for (ushort i = 0; i < 3; i++) Send(0xB, (ushort)(40_000 + i), 4_000_000_000 + 3000u * i);
        Assert.Equal([(503, 19_000u), (504, 22_000u), (505, 25_000u)], sent);
        Assert.Equal(0xBu, rewriter.SourceSsrc);

        // Reordering within the source keeps its place; a packet from before the switch point is refused.
        Assert.True(rewriter.TryRewrite(0xB, 40_001, 4_000_003_000, out var reordered, out _));
        Assert.Equal(504, reordered);
        Assert.False(rewriter.TryRewrite(0xB, 39_999, 3_999_997_000, out _, out _));

        // A subscriber's NACK for 504 goes to the publisher as 40001; 502 was another source's.
        Assert.True(rewriter.TryMapBack(504, out var original));
        Assert.Equal(40_001, original);
        Assert.False(rewriter.TryMapBack(502, out _));
        Assert.False(rewriter.TryMapBack(506, out _));

        // Switching back is a new segment too, not a return to the old offsets.
        sent.Clear();
        Send(0xA, 600, 2_000_000);
        Assert.Equal([(506, 28_000u)], sent);
    }

    [Fact]
    public void Sequence_numbers_and_timestamps_wrap_around_on_both_sides()
    {
        var rewriter = new SequenceRewriter(timestampStep: 960);
        var outgoing = new List<ushort>();
        var timestamps = new List<uint>();
        foreach (var (seq, ts) in new (ushort, uint)[] { (65533, uint.MaxValue - 959), (65534, 0u), (65535, 960), (0, 1920), (1, 2880) })
        {
            Assert.True(rewriter.TryRewrite(1, seq, ts, out var outSeq, out var outTs));
            outgoing.Add(outSeq);
            timestamps.Add(outTs);
        }
        Assert.Equal(new ushort[] { 65533, 65534, 65535, 0, 1 }, outgoing);
        Assert.Equal(new uint[] { uint.MaxValue - 959, 0, 960, 1920, 2880 }, timestamps);

        // A late packet from before the wrap is still this source's: it maps through the same offset.
        Assert.True(rewriter.TryRewrite(1, 65535, 960, out var late, out _));
        Assert.Equal(65535, late);

        // A new source continues after the wrap, whatever its own numbers.
        Assert.True(rewriter.TryRewrite(2, 65535, 100, out var first, out var firstTs));
        Assert.Equal(2, first);
        Assert.Equal(2880u + 960, firstTs);
        Assert.True(rewriter.TryRewrite(2, 0, 1060, out var second, out var secondTs));
        Assert.Equal(3, second);
        Assert.Equal(2880u + 960 + 960, secondTs);
        Assert.True(rewriter.TryMapBack(3, out var back));
        Assert.Equal(0, back);
    }

    [Fact]
    public void A_jump_within_one_source_restarts_its_numbering_once_a_second_packet_confirms_it()
    {
        var rewriter = new SequenceRewriter(timestampStep: 3000);
        Assert.True(rewriter.TryRewrite(1, 100, 0, out _, out _));
        Assert.True(rewriter.TryRewrite(1, 101, 3000, out _, out _));

        // A lone far-off number (a stray or corrupt packet) is dropped and the stream goes on.
        Assert.False(rewriter.TryRewrite(1, 30_000, 999, out _, out _));
        Assert.True(rewriter.TryRewrite(1, 102, 6000, out var next, out _));
        Assert.Equal(102, next);

        // The publisher restarted its numbering: the second consecutive packet starts a new segment.
        Assert.False(rewriter.TryRewrite(1, 9_000, 500_000, out _, out _));
        Assert.True(rewriter.TryRewrite(1, 9_001, 503_000, out var restarted, out var restartedTs));
        Assert.Equal(103, restarted);
        Assert.Equal(9000u, restartedTs);
    }

    [Fact]
    public void The_rewriter_edits_an_rtp_packet_in_place()
    {
        var rewriter = new SequenceRewriter(timestampStep: 3000);
        var first = Rtp(Payload, sequenceNumber: 7, timestamp: 70, ssrc: 1);
        Assert.True(rewriter.TryRewrite(first));
        var second = Rtp(Payload, sequenceNumber: 1234, timestamp: 5_000_000, ssrc: 2);
        Assert.True(rewriter.TryRewrite(second));
        Assert.True(RtpHeader.TryRead(second, out var header));
        Assert.Equal(8, header.SequenceNumber);
        Assert.Equal(3070u, header.Timestamp);
        Assert.Equal(2u, header.Ssrc); // the SSRC is the forwarder's to set
        Assert.Equal(Payload, header.Payload.ToArray());
        Assert.Equal(5_000_000u + rewriter.TimestampOffset, header.Timestamp);
        Assert.False(rewriter.TryRewrite(new byte[8]));
    }

    [Fact]
    public void The_per_packet_path_allocates_nothing()
    {
        var original = Rtp(Vp8KeyFrame.Prepend((byte)0x10).ToArray(), csrcs: [5], profile: 0xBEDE, extension: OneByteElements);
        var buffer = new byte[original.Length + 16];
        var rewriter = new SequenceRewriter(timestampStep: 3000);
        var feedback = new byte[RtcpWriter.PliLength];
        ushort sequenceNumber = 0;
        void Forward()
        {
            original.CopyTo(buffer, 0);
            RtpRewriter.SetSequenceNumber(buffer, sequenceNumber++);
            var length = original.Length;
            var packet = buffer.AsSpan(0, length);
            if (RtpDemux.Classify(packet) != DatagramKind.Rtp || !RtpHeader.TryRead(packet, out var header)) return;
            header.TryGetExtension(1, out _);
            Vp8.IsKeyFrame(header.Payload);
            rewriter.TryRewrite(packet);
            RtpRewriter.SetSsrc(packet, 77);
            RtpRewriter.TrySetMidOnly(buffer, ref length, 2, "1"u8);
            RtpRewriter.StripExtensions(buffer, ref length);
            RtcpWriter.Pli(feedback, 1, 2);
            foreach (var rtcp in new RtcpReader(feedback))
                if (rtcp.IsKeyFrameRequest) RtcpRewriter.SetMediaSsrc(rtcp.Slice(feedback.AsSpan()), 3);
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(Forward, rounds: 1000));
    }
}
