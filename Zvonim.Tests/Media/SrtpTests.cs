using System.Buffers.Binary;
using System.Security.Cryptography;
using Zvonim.Media.Srtp;

namespace Zvonim.Tests.Media;

/// <summary>
/// SRTP and SRTCP against RFC 3711 Appendix B, RFC 7714 §16–17 and libsrtp's reference packets, byte for byte, then
/// the bookkeeping around them: rollover, replay, tampering, malformed input and the SSRC limit.
/// </summary>
public sealed class SrtpTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(char.IsAsciiHexDigit)));

    public static TheoryData<SrtpProfile> Profiles => [SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm];

    // ---- RFC 3711 Appendix B ----

    [Fact]
    public void The_AES_CM_keystream_is_RFC_3711_B_2()
    {
        var salt = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
        var iv = new byte[16];
        AesCmHmacSha1Transform.BuildIv(salt, ssrc: 0, index: 0, iv);
        Assert.Equal(Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), iv);

        // "Keystream segment length: 1044512 octets (65282 AES blocks)": counter mode over zeros is the keystream.
        var keystream = new byte[65282 * 16];
        using (var cipher = new AesCounterMode(Hex("2B7E151628AED2A6ABF7158809CF4F3C")))
            cipher.Apply(iv, keystream);

        Assert.Equal(Hex("""
            E03EAD0935C95E80E166B16DD92B4EB4
            D23513162B02D0F72A43A2FE4A5F97AB
            41E95B3BB0A2E8DD477901E4FCA894C0
            """), keystream[..48]);
        Assert.Equal(Hex("""
            EC8CDF7398607CB0F2D21675EA9EA1E4
            362B7C3C6773516318A077D7FC5073AE
            6A2CC3787889374FBEB4C81B17BA6C44
            """), keystream[^48..]);
    }

    private static readonly byte[] B3MasterKey = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] B3MasterSalt = Hex("0EC675AD498AFEEBB6960B3AABE6");

    [Fact]
    public void Key_derivation_is_RFC_3711_B_3()
    {
        Assert.Equal(Hex("C61E7A93744F39EE10734AFE3FF7A087"),
            SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpEncryption, 16));
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE1"),
            SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpSalt, 14));
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE17AC6"),
            SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpSalt, 16));
        // §B.3 derives a 94-octet auth key for the walk-through; HMAC-SHA1 uses its first 20.
        var auth = Hex("""
            CEBE321F6FF7716B6FD4AB49AF256A15
            6D38BAA48F0A0ACF3C34E2359E6CDBCE
            E049646C43D9327AD175578EF7227098
            6371C10C9A369AC2F94A8C5FBCDDDC25
            6D6E919A48B610EF17C2041E47403576
            6B68642C59BBFC2F34DB60DBDFB2
            """);
        Assert.Equal(auth, SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpAuthentication, 94));

        var (rtp, rtcp) = SrtpSessionKeys.Derive(SrtpProfile.AesCm128HmacSha1_80, new SrtpMasterKeys(B3MasterKey, B3MasterSalt));
        Assert.Equal(Hex("C61E7A93744F39EE10734AFE3FF7A087"), rtp.EncryptionKey);
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE1"), rtp.Salt);
        Assert.Equal(auth[..20], rtp.AuthenticationKey);
        Assert.NotEqual(rtp.EncryptionKey, rtcp.EncryptionKey);
    }

    // ---- libsrtp's reference packets (test/srtp_driver.c, srtp_validate and srtp_validate_gcm): master keys in,
    // protected packets out, so they pin the key derivation, IVs, tags and SRTCP layout end to end. ----

    private static readonly byte[] LibsrtpRtp = Hex("800f1234decafbadcafebabe abababababababababababababababab");
    private static readonly byte[] LibsrtpRtcp = Hex("81c8000bcafebabe abababababababababababababababab");

    [Fact]
    public void AES_CM_protects_libsrtp_reference_packets_exactly()
    {
        var master = new SrtpMasterKeys(B3MasterKey, B3MasterSalt);
        CheckVector(new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, master), new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, master),
            LibsrtpRtp, Hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb"),
            LibsrtpRtcp, Hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798"));
    }

    [Fact]
    public void AES_GCM_protects_libsrtp_reference_packets_exactly()
    {
        // A 12-byte master salt: this pins how the KDF pads it, which RFC 7714 leaves to interpretation.
        var master = new SrtpMasterKeys(Hex("000102030405060708090a0b0c0d0e0f"), Hex("a0a1a2a3a4a5a6a7a8a9aaab"));
        CheckVector(new SrtpContext(SrtpProfile.AeadAes128Gcm, master), new SrtpContext(SrtpProfile.AeadAes128Gcm, master),
            LibsrtpRtp, Hex("800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392"),
            LibsrtpRtcp, Hex("81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e 80000001"));
    }

    private static void CheckVector(SrtpContext sender, SrtpContext receiver, byte[] rtp, byte[] srtp, byte[] rtcp, byte[] srtcp)
    {
        using (sender)
        using (receiver)
        {
            Assert.Equal(srtp, Protect(sender, rtp, rtcp: false));
            Assert.Equal(rtp, Unprotect(receiver, srtp, rtcp: false));

            // libsrtp sends its first SRTCP packet with index 1; RFC 3711 §3.4 and we start at 0.
            Protect(sender, rtcp, rtcp: true);
            Assert.Equal(srtcp, Protect(sender, rtcp, rtcp: true));
            Assert.Equal(rtcp, Unprotect(receiver, srtcp, rtcp: true));
        }
    }

    // ---- RFC 7714 §16 and §17: session keys in, so they exercise the transform below the KDF ----

    private static readonly SrtpSessionKeys Rfc7714Keys =
        new(Hex("000102030405060708090a0b0c0d0e0f"), Hex("517569642070726f2071756f"), []);

    private static SrtpContext Rfc7714Context() => new(SrtpProfile.AeadAes128Gcm, Rfc7714Keys, Rfc7714Keys);

    // "Gallia est omnis divisa in partes tres" behind a 12-byte header, SEQ f17b, SSRC 5501a0b2.
    private static readonly byte[] Rfc7714Rtp = Hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
        69736120 696e2070 61727465 73207472 6573
        """);

    [Fact]
    public void AES_GCM_RTP_is_RFC_7714_16_1()
    {
        var nonce = new byte[12];
        AesGcmTransform.BuildNonce(Rfc7714Keys.Salt, 0x5501a0b2, 0xf17b, nonce);
        Assert.Equal(Hex("51753c6580c2726f20718414"), nonce);

        var expected = Hex("""
            8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
            0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439
            0cce
            """);
        using var sender = Rfc7714Context();
        Assert.Equal(expected, Protect(sender, Rfc7714Rtp, rtcp: false));
        using var receiver = Rfc7714Context();
        Assert.Equal(Rfc7714Rtp, Unprotect(receiver, expected, rtcp: false));
    }

    // The packet §17.1–17.4 operate on: an SR from SSRC "Mars", SRTCP index 5d4.
    private static readonly byte[] Rfc7714Rtcp = Hex("""
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef
        """);

    [Fact]
    public void AES_GCM_RTCP_is_RFC_7714_17_1()
    {
        var nonce = new byte[12];
        AesGcmTransform.BuildNonce(Rfc7714Keys.Salt, 0x4d617273, 0x5d4, nonce);
        Assert.Equal(Hex("517524055203726f207170bb"), nonce);

        var expected = Hex("""
            81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
            c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
            45d9eade 800005d4
            """);
        using var sender = Rfc7714Context();
        for (var i = 0; i < 0x5d4; i++) Protect(sender, Rfc7714Rtcp, rtcp: true);
        Assert.Equal(expected, Protect(sender, Rfc7714Rtcp, rtcp: true));
        using var receiver = Rfc7714Context();
        Assert.Equal(Rfc7714Rtcp, Unprotect(receiver, expected, rtcp: true));
    }

    [Fact]
    public void An_unencrypted_but_tagged_SRTCP_packet_is_RFC_7714_17_3()
    {
        var tagged = Hex("""
            81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
            deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790
            125f62b3 000005d4
            """);
        using var receiver = Rfc7714Context();
        Assert.Equal(Rfc7714Rtcp, Unprotect(receiver, tagged, rtcp: true));

        tagged[20] ^= 1;
        using var other = Rfc7714Context();
        Assert.Null(Unprotect(other, tagged, rtcp: true));
    }

    // ---- DTLS-SRTP keying material ----

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Split_takes_keys_and_salts_from_RFC_5764s_layout(SrtpProfile profile)
    {
        int k = SrtpProfiles.KeyLength(profile), s = SrtpProfiles.SaltLength(profile);
        Assert.Equal((16, profile == SrtpProfile.AeadAes128Gcm ? 12 : 14), (k, s));
        var material = Enumerable.Range(0, 2 * (k + s)).Select(i => (byte)i).ToArray();
        var clientKey = material[..k];
        var serverKey = material[k..(2 * k)];
        var clientSalt = material[(2 * k)..(2 * k + s)];
        var serverSalt = material[(2 * k + s)..];

        var (local, remote) = DtlsSrtpKeys.Split(material, profile, isServer: false);
        Assert.Equal(clientKey, local.Key);
        Assert.Equal(clientSalt, local.Salt);
        Assert.Equal(serverKey, remote.Key);
        Assert.Equal(serverSalt, remote.Salt);

        (local, remote) = DtlsSrtpKeys.Split(material, profile, isServer: true);
        Assert.Equal(serverKey, local.Key);
        Assert.Equal(serverSalt, local.Salt);
        Assert.Equal(clientKey, remote.Key);
        Assert.Equal(clientSalt, remote.Salt);

        Assert.Throws<ArgumentException>(() => DtlsSrtpKeys.Split(material[1..], profile, isServer: true));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void What_one_side_protects_with_its_local_keys_the_other_unprotects_with_its_remote_keys(SrtpProfile profile)
    {
        var material = RandomNumberGenerator.GetBytes(SrtpProfiles.KeyingMaterialLength(profile));
        var client = DtlsSrtpKeys.Split(material, profile, isServer: false);
        var server = DtlsSrtpKeys.Split(material, profile, isServer: true);
        using var clientSend = new SrtpContext(profile, client.Local);
        using var serverReceive = new SrtpContext(profile, server.Remote);
        using var serverSendingTheWrongWay = new SrtpContext(profile, server.Local);

        var packet = Rtp(seq: 1, ssrc: 7, payloadLength: 100);
        Assert.Equal(packet, Unprotect(serverReceive, Protect(clientSend, packet, rtcp: false), rtcp: false));
        Assert.Null(Unprotect(serverReceive, Protect(serverSendingTheWrongWay, packet, rtcp: false), rtcp: false));
    }

    // ---- Round trips ----

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RTP_with_CSRCs_and_a_header_extension_round_trips_with_the_header_in_clear(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var packet = Rtp(seq: 1000, ssrc: 0x11223344, payloadLength: 333, csrcs: 2, extensionWords: 3);
            var headerLength = 12 + 4 * 2 + 4 + 4 * 3;
            var protectedPacket = Protect(sender, packet, rtcp: false);

            Assert.Equal(packet.Length + (profile == SrtpProfile.AeadAes128Gcm ? 16 : 10), protectedPacket.Length);
            Assert.Equal(packet[..headerLength], protectedPacket[..headerLength]);
            Assert.NotEqual(packet[headerLength..], protectedPacket[headerLength..packet.Length]);
            Assert.Equal(packet, Unprotect(receiver, protectedPacket, rtcp: false));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RTP_with_no_payload_round_trips(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var packet = Rtp(seq: 5, ssrc: 9, payloadLength: 0, extensionWords: 1);
            Assert.Equal(packet, Unprotect(receiver, Protect(sender, packet, rtcp: false), rtcp: false));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Compound_RTCP_round_trips_with_only_its_first_8_bytes_in_clear(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            // SR (no report blocks) + SDES with one CNAME chunk.
            var compound = Hex("""
                80c80006 0a0b0c0d 83aa7e80 a2ac0800 00000064 00000010 00000640
                81ca0004 0a0b0c0d 01057a766f6e69 00 00000000
                """);
            var protectedPacket = Protect(sender, compound, rtcp: true);
            Assert.Equal(compound.Length + (profile == SrtpProfile.AeadAes128Gcm ? 20 : 14), protectedPacket.Length);
            Assert.Equal(compound[..8], protectedPacket[..8]);
            Assert.NotEqual(compound[8..], protectedPacket[8..compound.Length]);
            Assert.Equal(compound, Unprotect(receiver, protectedPacket, rtcp: true));
            Assert.Equal(1, receiver.SsrcCount);
        }
    }

    // ---- Authentication ----

    [Theory]
    [MemberData(nameof(Profiles))]
    public void A_tampered_packet_is_rejected_and_does_not_move_the_window(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var packet = Rtp(seq: 42, ssrc: 1, payloadLength: 64, csrcs: 1);
            var protectedPacket = Protect(sender, packet, rtcp: false);
            foreach (var at in new[] { 1, 5, 13, 20, protectedPacket.Length - 1 })
            {
                var tampered = (byte[])protectedPacket.Clone();
                tampered[at] ^= 0x01;
                Assert.Null(Unprotect(receiver, tampered, rtcp: false));
            }

            Assert.Null(Unprotect(receiver, protectedPacket[..^1], rtcp: false));
            Assert.Equal(0, receiver.SsrcCount);
            Assert.Equal(packet, Unprotect(receiver, protectedPacket, rtcp: false));

            var rtcp = Rtcp(ssrc: 1);
            var protectedRtcp = Protect(sender, rtcp, rtcp: true);
            foreach (var at in new[] { 0, 6, 10, protectedRtcp.Length - 15, protectedRtcp.Length - 1 })
            {
                var tampered = (byte[])protectedRtcp.Clone();
                tampered[at] ^= 0x01;
                Assert.Null(Unprotect(receiver, tampered, rtcp: true));
            }

            Assert.Equal(rtcp, Unprotect(receiver, protectedRtcp, rtcp: true));
        }
    }

    // ---- Replay ----

    [Theory]
    [MemberData(nameof(Profiles))]
    public void A_replayed_packet_is_rejected(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var srtp = Protect(sender, Rtp(seq: 7, ssrc: 3, payloadLength: 20), rtcp: false);
            Assert.NotNull(Unprotect(receiver, srtp, rtcp: false));
            Assert.Null(Unprotect(receiver, srtp, rtcp: false));

            var srtcp = Protect(sender, Rtcp(ssrc: 3), rtcp: true);
            Assert.NotNull(Unprotect(receiver, srtcp, rtcp: true));
            Assert.Null(Unprotect(receiver, srtcp, rtcp: true));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Out_of_order_packets_inside_the_window_are_accepted_once_and_older_ones_never(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var srtp = Enumerable.Range(0, 100)
                .Select(seq => Protect(sender, Rtp(seq: (ushort)seq, ssrc: 5, payloadLength: 30), rtcp: false))
                .ToArray();
            int[] heldBack = [0, 35, 36, 90];
            foreach (var seq in Enumerable.Range(0, 100).Except(heldBack))
                Assert.NotNull(Unprotect(receiver, srtp[seq], rtcp: false));

            Assert.NotNull(Unprotect(receiver, srtp[90], rtcp: false));  // 9 behind the highest
            Assert.NotNull(Unprotect(receiver, srtp[36], rtcp: false));  // 63 behind: the window's oldest slot
            Assert.Null(Unprotect(receiver, srtp[35], rtcp: false));     // 64 behind: outside it
            Assert.Null(Unprotect(receiver, srtp[0], rtcp: false));
            Assert.Null(Unprotect(receiver, srtp[90], rtcp: false));
            Assert.Null(Unprotect(receiver, srtp[36], rtcp: false));
            Assert.Null(Unprotect(receiver, srtp[99], rtcp: false));

            var srtcp = Enumerable.Range(0, 70).Select(_ => Protect(sender, Rtcp(ssrc: 5), rtcp: true)).ToArray();
            Assert.NotNull(Unprotect(receiver, srtcp[69], rtcp: true));
            Assert.NotNull(Unprotect(receiver, srtcp[10], rtcp: true));
            Assert.Null(Unprotect(receiver, srtcp[5], rtcp: true));
            Assert.Null(Unprotect(receiver, srtcp[10], rtcp: true));
        }
    }

    // ---- Rollover ----

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Sequence_numbers_wrapping_past_65535_keep_decrypting(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            // 65500 .. 65535 then 0 .. 163 under ROC 1, strides of under 2^15 to the next wrap, then 0 .. 27 under
            // ROC 2. The ROC goes into every tag and nonce, so a packet only authenticates if the receiver's ROC
            // agrees with the sender's.
            var indices = Enumerable.Range(65500, 200).Select(n => (long)n)
                .Concat([75000, 95000, 115000])
                .Concat(Enumerable.Range(131000, 100).Select(n => (long)n))
                .ToArray();
            var seqs = indices.Select(n => (ushort)n).ToArray();
            var srtp = seqs.Select(seq => Protect(sender, Rtp(seq, ssrc: 77, payloadLength: 40), rtcp: false)).ToArray();

            // Deliver with some reordering across each wrap: 0 and 1 before 65534 and 65535.
            var order = Enumerable.Range(0, srtp.Length).ToList();
            foreach (var wrap in new[] { Array.IndexOf(indices, 65536), Array.IndexOf(indices, 2 * 65536) })
            {
                order.RemoveRange(wrap - 2, 4);
                order.InsertRange(wrap - 2, [wrap, wrap + 1, wrap - 2, wrap - 1]);
            }

            foreach (var i in order)
                Assert.True(Unprotect(receiver, srtp[i], rtcp: false) is not null, $"seq {seqs[i]} (#{i})");
            Assert.Null(Unprotect(receiver, srtp[^2], rtcp: false));
        }
    }

    [Fact]
    public void The_index_estimate_picks_the_nearest_rollover_counter()
    {
        Assert.Equal(0x1_0005, SrtpStreamState.EstimateIndex(0x0_FFF0, 5));
        Assert.Equal(0x0_FFF0, SrtpStreamState.EstimateIndex(0x1_0005, 0xFFF0));
        Assert.Equal(0x3_1234, SrtpStreamState.EstimateIndex(0x3_1000, 0x1234));
        Assert.Equal(0x9000, SrtpStreamState.EstimateIndex(0x0_0010, 0x9000));
    }

    [Fact]
    public void A_send_stream_refuses_a_sequence_number_from_before_its_first_and_its_rollover_counter_stays()
    {
        var stream = new SrtpStreamState();

        Assert.True(stream.TrySendIndex(10, out var first)); // a subscriber's first copy, just after the publisher wrapped
        Assert.False(stream.TrySendIndex(65530, out _));     // a packet from before the wrap, forwarded late
        Assert.True(stream.TrySendIndex(11, out var next));

        Assert.Equal(10, first);
        Assert.Equal(11, next); // still ROC 0, as the receiver counts
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void A_late_packet_from_before_a_send_streams_first_is_not_sent_and_the_next_goes_out_as_if_it_had_not_come(SrtpProfile profile)
    {
        var master = Master(profile);
        using var withLate = new SrtpContext(profile, master);
        using var withoutLate = new SrtpContext(profile, master);
        using var browser = new SrtpContext(profile, master);

        Assert.NotNull(Unprotect(browser, Protect(withLate, Rtp(seq: 10, ssrc: 1, payloadLength: 50), rtcp: false), rtcp: false));
        var late = new byte[12 + 50 + SrtpContext.MaxOverhead];
        Rtp(seq: 65530, ssrc: 1, payloadLength: 50).CopyTo(late, 0);
        Assert.False(withLate.TryProtectRtp(late, 12 + 50, out _));
        var eleven = Protect(withLate, Rtp(seq: 11, ssrc: 1, payloadLength: 50), rtcp: false);

        Protect(withoutLate, Rtp(seq: 10, ssrc: 1, payloadLength: 50), rtcp: false);
        Assert.Equal(Protect(withoutLate, Rtp(seq: 11, ssrc: 1, payloadLength: 50), rtcp: false), eleven);
        Assert.NotNull(Unprotect(browser, eleven, rtcp: false));
    }

    // ---- Malformed input and limits ----

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Malformed_packets_are_refused_without_throwing(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var good = Protect(sender, Rtp(seq: 1, ssrc: 1, payloadLength: 50), rtcp: false);
            byte[][] bad =
            [
                [],
                good[..11],
                good[..20],
                [(byte)(good[0] & 0x3F), .. good.Skip(1)],                     // version 0
                [(byte)(good[0] | 0x0F), .. good.Skip(1)],                     // 15 CSRCs that are not there
                [(byte)(good[0] | 0x10), .. good.Skip(1)],                     // an extension whose length overruns
            ];
            foreach (var packet in bad)
            {
                Assert.False(receiver.TryUnprotectRtp(packet, packet.Length, out var length));
                Assert.Equal(0, length);
                Assert.False(receiver.TryUnprotectRtcp(packet, packet.Length, out _));
            }

            Assert.False(receiver.TryUnprotectRtp(good, good.Length + 1, out _));
            Assert.False(receiver.TryUnprotectRtp(good, -1, out _));
            Assert.False(receiver.TryUnprotectRtcp(good, -1, out _));

            var random = new Random(1);
            for (var i = 0; i < 2000; i++)
            {
                var packet = new byte[random.Next(0, 120)];
                random.NextBytes(packet);
                if (packet.Length > 0 && random.Next(2) == 0) packet[0] = (byte)(0x80 | (packet[0] & 0x3F));
                Assert.False(receiver.TryUnprotectRtp(packet, packet.Length, out _));
                Assert.False(receiver.TryUnprotectRtcp(packet, packet.Length, out _));
            }

            Assert.Equal(0, receiver.SsrcCount);
            Assert.Throws<ArgumentException>(() => sender.ProtectRtp(new byte[40], 20));
            Assert.Throws<ArgumentException>(() => sender.ProtectRtp(Rtp(2, 1, 10), 22));  // no room for the tag
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Only_authenticated_packets_take_one_of_the_limited_SSRC_places(SrtpProfile profile)
    {
        var master = Master(profile);
        using var sender = new SrtpContext(profile, master);
        using var receiver = new SrtpContext(profile, master, maxSsrcs: 2);

        var forged = Protect(sender, Rtp(seq: 1, ssrc: 100, payloadLength: 30), rtcp: false);
        forged[^1] ^= 0xFF;
        Assert.Null(Unprotect(receiver, forged, rtcp: false));
        Assert.Equal(0, receiver.SsrcCount);

        Assert.NotNull(Unprotect(receiver, Protect(sender, Rtp(1, ssrc: 1, 30), rtcp: false), rtcp: false));
        Assert.NotNull(Unprotect(receiver, Protect(sender, Rtcp(ssrc: 2), rtcp: true), rtcp: true));
        Assert.Null(Unprotect(receiver, Protect(sender, Rtp(1, ssrc: 3, 30), rtcp: false), rtcp: false));
        Assert.Null(Unprotect(receiver, Protect(sender, Rtcp(ssrc: 4), rtcp: true), rtcp: true));
        Assert.NotNull(Unprotect(receiver, Protect(sender, Rtp(1, ssrc: 2, 30), rtcp: false), rtcp: false));
        Assert.Equal(2, receiver.SsrcCount);

        using var limitedSender = new SrtpContext(profile, master, maxSsrcs: 1);
        Protect(limitedSender, Rtp(1, ssrc: 1, 30), rtcp: false);
        Assert.Throws<InvalidOperationException>(() => Protect(limitedSender, Rtp(1, ssrc: 2, 30), rtcp: false));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Protecting_and_unprotecting_allocate_nothing_once_the_stream_exists(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var plain = Rtp(seq: 0, ssrc: 1, payloadLength: 1200);
            var buffer = new byte[plain.Length + SrtpContext.MaxOverhead];
            var rtcp = Rtcp(ssrc: 1);
            var rtcpBuffer = new byte[rtcp.Length + SrtpContext.MaxOverhead];

            void RoundTrip(ushort seq)
            {
                plain.CopyTo(buffer, 0);
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), seq);
                var length = sender.ProtectRtp(buffer, plain.Length);
                Assert.True(receiver.TryUnprotectRtp(buffer, length, out _));
                rtcp.CopyTo(rtcpBuffer, 0);
                length = sender.ProtectRtcp(rtcpBuffer, rtcp.Length);
                Assert.True(receiver.TryUnprotectRtcp(rtcpBuffer, length, out _));
            }

            ushort next = 0;
            for (; next < 100; next++) RoundTrip(next);
            Assert.Equal(0, SteadyState.AllocatedBytes(() => RoundTrip(next++), rounds: 1000));
        }
    }

    // ---- Helpers ----

    private static SrtpMasterKeys Master(SrtpProfile profile) => new(
        RandomNumberGenerator.GetBytes(SrtpProfiles.KeyLength(profile)),
        RandomNumberGenerator.GetBytes(SrtpProfiles.SaltLength(profile)));

    private static (SrtpContext Sender, SrtpContext Receiver) Pair(SrtpProfile profile)
    {
        var master = Master(profile);
        return (new SrtpContext(profile, master), new SrtpContext(profile, master));
    }

    private static byte[] Protect(SrtpContext context, byte[] packet, bool rtcp)
    {
        var buffer = new byte[packet.Length + SrtpContext.MaxOverhead];
        packet.CopyTo(buffer, 0);
        var length = rtcp ? context.ProtectRtcp(buffer, packet.Length) : context.ProtectRtp(buffer, packet.Length);
        return buffer[..length];
    }

    /// <summary>The plain packet, or null when the context refuses it. The caller's array is left as it was.</summary>
    private static byte[]? Unprotect(SrtpContext context, byte[] packet, bool rtcp)
    {
        var buffer = (byte[])packet.Clone();
        var ok = rtcp
            ? context.TryUnprotectRtcp(buffer, buffer.Length, out var length)
            : context.TryUnprotectRtp(buffer, buffer.Length, out length);
        return ok ? buffer[..length] : null;
    }

    private static byte[] Rtp(ushort seq, uint ssrc, int payloadLength, int csrcs = 0, int extensionWords = 0)
    {
        var extension = extensionWords > 0 ? 4 + 4 * extensionWords : 0;
        var packet = new byte[12 + 4 * csrcs + extension + payloadLength];
        packet[0] = (byte)(0x80 | (extensionWords > 0 ? 0x10 : 0) | csrcs);
        packet[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), seq * 960u);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        for (var i = 0; i < csrcs; i++) BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12 + 4 * i), 0xC0000000u + (uint)i);
        var at = 12 + 4 * csrcs;
        if (extensionWords > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), 0xBEDE);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at + 2), (ushort)extensionWords);
            for (var i = 4; i < extension; i++) packet[at + i] = (byte)(0x10 + i);
        }

        for (var i = at + extension; i < packet.Length; i++) packet[i] = (byte)(i * 7);
        return packet;
    }

    // A receiver report with no report blocks.
    private static byte[] Rtcp(uint ssrc)
    {
        var packet = Hex("80c90001 00000000");
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ssrc);
        return packet;
    }
}
