using System.Net;
using Xunit.Abstractions;
using Zvonim.Media.Dtls;
using Zvonim.Media.Sdp;
using Zvonim.Tests.Browser;

namespace Zvonim.Tests.Media;

/// <summary>
/// SDP as the SFU reads and writes it, against an offer Chromium 156 made (audio, camera and a data channel; its
/// lines untouched, CRLF restored): the model read from it, the server's answer, and the server's offers when it
/// starts, stops and restarts sending a track. <see cref="InChromium"/> gives the same descriptions to a real
/// Chromium.
/// </summary>
public sealed class SdpTests
{
    /// <summary>createOffer() after addTrack(audio), addTrack(video) and createDataChannel(), headless Chromium 156
    /// with fake devices.</summary>
    internal static readonly string ChromiumOffer = """
        v=0
        o=- 3891312720460183432 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1 2
        a=extmap-allow-mixed
        a=msid-semantic: WMS 462b1b78-23c9-4ec6-a0d5-2470ffc484bb
        m=audio 56817 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 192.0.2.2
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:3086084324 1 udp 2122194687 192.0.2.2 56817 typ host generation 0 network-id 1
        a=candidate:2090281220 1 udp 2122265343 fd00::2 45366 typ host generation 0 network-id 2
        a=candidate:1230716016 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 network-id 1
        a=candidate:2185100688 1 tcp 1518285567 fd00::2 9 typ host tcptype active generation 0 network-id 2
        a=ice-ufrag:p2gC
        a=ice-pwd:3xT4n3e6FxFSDgCbx9Ku/ewM
        a=ice-options:trickle
        a=fingerprint:sha-256 2C:02:0C:83:75:D1:2E:77:0E:2E:E8:F7:D4:2B:54:58:53:AB:FC:07:B2:AD:45:1C:2E:85:72:13:4A:EE:C1:7C
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:462b1b78-23c9-4ec6-a0d5-2470ffc484bb 4b5c79ed-0437-439c-ac16-abc936c311df
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        a=ssrc:3190715005 cname:jU2OtbH2iRwYjoh/
        a=ssrc:3190715005 msid:462b1b78-23c9-4ec6-a0d5-2470ffc484bb 4b5c79ed-0437-439c-ac16-abc936c311df
        m=video 58087 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120
        c=IN IP4 192.0.2.2
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:3086084324 1 udp 2122194687 192.0.2.2 58087 typ host generation 0 network-id 1
        a=candidate:2090281220 1 udp 2122265343 fd00::2 41131 typ host generation 0 network-id 2
        a=candidate:1230716016 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 network-id 1
        a=candidate:2185100688 1 tcp 1518285567 fd00::2 9 typ host tcptype active generation 0 network-id 2
        a=ice-ufrag:p2gC
        a=ice-pwd:3xT4n3e6FxFSDgCbx9Ku/ewM
        a=ice-options:trickle
        a=fingerprint:sha-256 2C:02:0C:83:75:D1:2E:77:0E:2E:E8:F7:D4:2B:54:58:53:AB:FC:07:B2:AD:45:1C:2E:85:72:13:4A:EE:C1:7C
        a=setup:actpass
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:13 urn:3gpp:video-orientation
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
        a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
        a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
        a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
        a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
        a=sendrecv
        a=msid:462b1b78-23c9-4ec6-a0d5-2470ffc484bb 28e2234b-4d80-475e-95af-ab5a1bfee4db
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:102 H264/90000
        a=rtcp-fb:102 goog-remb
        a=rtcp-fb:102 transport-cc
        a=rtcp-fb:102 ccm fir
        a=rtcp-fb:102 nack
        a=rtcp-fb:102 nack pli
        a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:103 rtx/90000
        a=fmtp:103 apt=102
        a=rtpmap:104 H264/90000
        a=rtcp-fb:104 goog-remb
        a=rtcp-fb:104 transport-cc
        a=rtcp-fb:104 ccm fir
        a=rtcp-fb:104 nack
        a=rtcp-fb:104 nack pli
        a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
        a=rtpmap:107 rtx/90000
        a=fmtp:107 apt=104
        a=rtpmap:108 H264/90000
        a=rtcp-fb:108 goog-remb
        a=rtcp-fb:108 transport-cc
        a=rtcp-fb:108 ccm fir
        a=rtcp-fb:108 nack
        a=rtcp-fb:108 nack pli
        a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:109 rtx/90000
        a=fmtp:109 apt=108
        a=rtpmap:114 H264/90000
        a=rtcp-fb:114 goog-remb
        a=rtcp-fb:114 transport-cc
        a=rtcp-fb:114 ccm fir
        a=rtcp-fb:114 nack
        a=rtcp-fb:114 nack pli
        a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
        a=rtpmap:115 rtx/90000
        a=fmtp:115 apt=114
        a=rtpmap:116 H264/90000
        a=rtcp-fb:116 goog-remb
        a=rtcp-fb:116 transport-cc
        a=rtcp-fb:116 ccm fir
        a=rtcp-fb:116 nack
        a=rtcp-fb:116 nack pli
        a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
        a=rtpmap:117 rtx/90000
        a=fmtp:117 apt=116
        a=rtpmap:39 H264/90000
        a=rtcp-fb:39 goog-remb
        a=rtcp-fb:39 transport-cc
        a=rtcp-fb:39 ccm fir
        a=rtcp-fb:39 nack
        a=rtcp-fb:39 nack pli
        a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
        a=rtpmap:40 rtx/90000
        a=fmtp:40 apt=39
        a=rtpmap:45 AV1/90000
        a=rtcp-fb:45 goog-remb
        a=rtcp-fb:45 transport-cc
        a=rtcp-fb:45 ccm fir
        a=rtcp-fb:45 nack
        a=rtcp-fb:45 nack pli
        a=fmtp:45 level-idx=5;profile=0;tier=0
        a=rtpmap:46 rtx/90000
        a=fmtp:46 apt=45
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:100 VP9/90000
        a=rtcp-fb:100 goog-remb
        a=rtcp-fb:100 transport-cc
        a=rtcp-fb:100 ccm fir
        a=rtcp-fb:100 nack
        a=rtcp-fb:100 nack pli
        a=fmtp:100 profile-id=2
        a=rtpmap:101 rtx/90000
        a=fmtp:101 apt=100
        a=rtpmap:118 red/90000
        a=rtpmap:119 rtx/90000
        a=fmtp:119 apt=118
        a=rtpmap:120 ulpfec/90000
        a=ssrc-group:FID 3686620466 2081512450
        a=ssrc:3686620466 cname:jU2OtbH2iRwYjoh/
        a=ssrc:3686620466 msid:462b1b78-23c9-4ec6-a0d5-2470ffc484bb 28e2234b-4d80-475e-95af-ab5a1bfee4db
        a=ssrc:2081512450 cname:jU2OtbH2iRwYjoh/
        a=ssrc:2081512450 msid:462b1b78-23c9-4ec6-a0d5-2470ffc484bb 28e2234b-4d80-475e-95af-ab5a1bfee4db
        m=application 57357 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 192.0.2.2
        a=candidate:3086084324 1 udp 2122194687 192.0.2.2 57357 typ host generation 0 network-id 1
        a=candidate:2090281220 1 udp 2122265343 fd00::2 56177 typ host generation 0 network-id 2
        a=candidate:1230716016 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 network-id 1
        a=candidate:2185100688 1 tcp 1518285567 fd00::2 9 typ host tcptype active generation 0 network-id 2
        a=ice-ufrag:p2gC
        a=ice-pwd:3xT4n3e6FxFSDgCbx9Ku/ewM
        a=ice-options:trickle
        a=fingerprint:sha-256 2C:02:0C:83:75:D1:2E:77:0E:2E:E8:F7:D4:2B:54:58:53:AB:FC:07:B2:AD:45:1C:2E:85:72:13:4A:EE:C1:7C
        a=setup:actpass
        a=mid:2
        a=sctp-port:5000
        a=max-message-size:262144
        """.ReplaceLineEndings("\r\n") + "\r\n";

    internal static readonly ServerIdentity Server = new(
        "srvU",
        "0123456789abcdefABCDEF+/",
        Fingerprint.Sha256("the server's certificate"u8).Value,
        [new IPEndPoint(IPAddress.Parse("192.0.2.10"), 3478), new IPEndPoint(IPAddress.Parse("2001:db8::10"), 3478)]);

    private const string ChromiumFingerprint =
        "2C:02:0C:83:75:D1:2E:77:0E:2E:E8:F7:D4:2B:54:58:53:AB:FC:07:B2:AD:45:1C:2E:85:72:13:4A:EE:C1:7C";

    internal static LocalTrack Video(string name, uint ssrc, string codec = "VP8") =>
        new(MediaKind.Video, "stream-" + name, "track-" + name, ssrc, "cname-" + name, new Codec(100, codec, 90000));

    internal static LocalTrack Audio(string name, uint ssrc) =>
        new(MediaKind.Audio, "stream-" + name, "track-" + name, ssrc, "cname-" + name, new Codec(101, "opus", 48000, 2));

    private static SessionDescription Offer() => SessionDescription.Parse(ChromiumOffer)!;

    private static NegotiationResult Answer() => SdpNegotiation.Answer(Offer(), Server);

    [Fact]
    public void Chromiums_offer_reads_into_its_session_and_three_sections()
    {
        var offer = SessionDescription.Parse(ChromiumOffer, out var error);

        Assert.Null(error);
        Assert.NotNull(offer);
        Assert.Equal(new Origin("3891312720460183432", 2), offer.Origin);
        Assert.False(offer.IceLite);
        Assert.Equal(["0", "1", "2"], offer.BundleMids);
        Assert.Null(offer.IceUfrag); // Chromium writes its transport in every section, none at session level
        Assert.Equal([MediaKind.Audio, MediaKind.Video, MediaKind.Application], offer.Media.Select(m => m.Kind));
        foreach (var section in offer.Media)
        {
            Assert.Equal("p2gC", section.IceUfrag);
            Assert.Equal("3xT4n3e6FxFSDgCbx9Ku/ewM", section.IcePwd);
            Assert.Equal(new Fingerprint("sha-256", ChromiumFingerprint), section.Fingerprint);
            Assert.Equal("actpass", section.Setup);
            Assert.Equal(4, section.Candidates.Count);
        }

        var audio = offer.Media[0];
        Assert.Equal(("audio", 56817, "UDP/TLS/RTP/SAVPF", "0"), (audio.Media, audio.Port, audio.Protocol, audio.Mid));
        Assert.Equal(["111", "63", "9", "0", "8", "13", "110", "126"], audio.Formats);
        Assert.Equal(MediaDirection.SendRecv, audio.Direction);
        Assert.True(audio.RtcpMux);
        Assert.True(audio.RtcpReducedSize);
        Assert.Equal(["opus", "red", "G722", "PCMU", "PCMA", "CN", "telephone-event", "telephone-event"], audio.Codecs.Select(c => c.Name));
        var opus = audio.Codecs[0];
        Assert.Equal((111, 48000, (int?)2, "minptime=10;useinbandfec=1"), (opus.PayloadType, opus.ClockRate, opus.Channels, opus.Fmtp));
        Assert.Equal(["transport-cc"], opus.RtcpFeedback);
        Assert.Equal("1", opus.Parameter("useinbandfec"));
        Assert.Null(audio.Codecs[3].Channels);
        Assert.Equal([1, 2, 3, 4], audio.HeaderExtensions.Select(e => e.Id));
        Assert.Equal(4, audio.ExtensionId(HeaderExtension.SdesMid));
        var msid = new Msid("462b1b78-23c9-4ec6-a0d5-2470ffc484bb", "4b5c79ed-0437-439c-ac16-abc936c311df");
        Assert.Equal(msid, audio.Msid);
        Assert.Equal(new SsrcDescription(3190715005, "jU2OtbH2iRwYjoh/", msid), Assert.Single(audio.Ssrcs));
        Assert.Equal("candidate:3086084324 1 udp 2122194687 192.0.2.2 56817 typ host generation 0 network-id 1", audio.Candidates[0]);
        Assert.False(audio.EndOfCandidates);

        var video = offer.Media[1];
        Assert.Equal(("1", 58087, 23, 23), (video.Mid, video.Port, video.Formats.Count, video.Codecs.Count));
        var h264 = video.Codecs.Single(c => c.PayloadType == 108);
        Assert.Equal(("H264", 90000, "42e01f", "1"), (h264.Name, h264.ClockRate, h264.Parameter("profile-level-id"), h264.Parameter("packetization-mode")));
        Assert.Equal(["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"], h264.RtcpFeedback);
        Assert.Equal("apt=108", video.Codecs.Single(c => c.PayloadType == 109).Fmtp);
        Assert.Equal(11, video.HeaderExtensions.Count);
        Assert.Equal(4, video.ExtensionId(HeaderExtension.SdesMid));
        var fid = Assert.Single(video.SsrcGroups);
        Assert.Equal("FID", fid.Semantics);
        Assert.Equal([3686620466u, 2081512450u], fid.Ssrcs);
        Assert.Equal([3686620466u, 2081512450u], video.Ssrcs.Select(s => s.Ssrc));
        Assert.All(video.Ssrcs, s => Assert.Equal("28e2234b-4d80-475e-95af-ab5a1bfee4db", s.Msid?.TrackId));

        var data = offer.Media[2];
        Assert.Equal(("application", "UDP/DTLS/SCTP", "2"), (data.Media, data.Protocol, data.Mid));
        Assert.Equal(["webrtc-datachannel"], data.Formats);
        Assert.Empty(data.Codecs);
    }

    [Fact]
    public void Bare_line_feeds_read_the_same_as_crlf()
    {
        var crlf = SessionDescription.Parse(ChromiumOffer)!;
        var lf = SessionDescription.Parse(ChromiumOffer.Replace("\r\n", "\n"))!;

        Assert.Equal(crlf.ToSdp(), lf.ToSdp());
        Assert.Equal(crlf.Media.Select(m => m.Codecs.Count), lf.Media.Select(m => m.Codecs.Count));
        Assert.Equal(crlf.Media[1].Ssrcs, lf.Media[1].Ssrcs);
    }

    [Fact]
    public void Section_lines_override_session_lines_and_unknown_lines_are_skipped()
    {
        var sha1 = string.Join(':', Enumerable.Repeat("AB", 20));
        var sdp = SessionDescription.Parse($"""
            v=0
            o=- 1 7 IN IP4 0.0.0.0
            s=-
            t=0 0
            x=something new
            a=group:BUNDLE a b
            a=ice-ufrag:sessionUfrag
            a=ice-pwd:sessionPasswordSessionPassword
            a=fingerprint:sha-256 {ChromiumFingerprint.ToLowerInvariant()}
            a=setup:actpass
            m=audio 9 UDP/TLS/RTP/SAVPF 0
            a=mid:a
            a=rtcp-mux
            a=x-unknown:whatever
            m=audio 9 UDP/TLS/RTP/SAVPF 8 120
            a=mid:b
            a=ice-ufrag:mediaUfrag
            a=fingerprint:sha-1 {sha1}
            a=setup:active
            a=rtpmap:not a number
            a=rtcp-fb:* nack
            """)!;

        Assert.Equal(new Origin("1", 7), sdp.Origin);
        Assert.Equal(("sessionUfrag", "actpass"), (sdp.IceUfrag, sdp.Setup));
        var (a, b) = (sdp.Media[0], sdp.Media[1]);
        Assert.Equal(("sessionUfrag", "sessionPasswordSessionPassword", "actpass"), (a.IceUfrag, a.IcePwd, a.Setup));
        Assert.Equal(new Fingerprint("sha-256", ChromiumFingerprint), a.Fingerprint); // upper-cased on reading
        Assert.Equal(("mediaUfrag", "sessionPasswordSessionPassword", "active"), (b.IceUfrag, b.IcePwd, b.Setup));
        Assert.Equal(new Fingerprint("sha-1", sha1), b.Fingerprint);
        // Static payload types need no rtpmap; 120 has none and is left out.
        Assert.Equal("PCMU/8000", Assert.Single(a.Codecs).RtpMap);
        var pcma = Assert.Single(b.Codecs);
        Assert.Equal(("PCMA", 8), (pcma.Name, pcma.PayloadType));
        Assert.Equal(["nack"], pcma.RtcpFeedback);
        Assert.False(b.RtcpMux);
    }

    [Fact]
    public void The_answer_is_exactly_what_chromium_should_get()
    {
        var answer = Answer();

        Assert.True(answer.Succeeded, answer.Error);
        Assert.Equal(ExpectedAnswer, answer.Sdp.Replace(answer.Description!.Origin!.SessionId, "SESSION"));
        Assert.Matches("^[1-9][0-9]*$", answer.Description.Origin.SessionId);
    }

    private static readonly string ExpectedAnswer = $"""
        v=0
        o=- SESSION 1 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=ice-lite
        a=group:BUNDLE 0 1
        a=msid-semantic: WMS *
        m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:srvU
        a=ice-pwd:0123456789abcdefABCDEF+/
        a=fingerprint:sha-256 {Server.FingerprintSha256}
        a=setup:passive
        a=mid:0
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=recvonly
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:111 opus/48000/2
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=candidate:1 1 udp 2130706431 192.0.2.10 3478 typ host
        a=candidate:2 1 udp 2130706175 2001:db8::10 3478 typ host
        a=end-of-candidates
        m=video 9 UDP/TLS/RTP/SAVPF 96 108 98
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:srvU
        a=ice-pwd:0123456789abcdefABCDEF+/
        a=fingerprint:sha-256 {Server.FingerprintSha256}
        a=setup:passive
        a=mid:1
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=recvonly
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:108 H264/90000
        a=rtcp-fb:108 ccm fir
        a=rtcp-fb:108 nack
        a=rtcp-fb:108 nack pli
        a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=candidate:1 1 udp 2130706431 192.0.2.10 3478 typ host
        a=candidate:2 1 udp 2130706175 2001:db8::10 3478 typ host
        a=end-of-candidates
        m=application 0 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=mid:2
        a=inactive
        """.ReplaceLineEndings("\r\n") + "\r\n";

    [Fact]
    public void The_answer_takes_audio_and_video_with_the_offers_payload_types_and_only_what_the_sfu_does()
    {
        var answer = Answer();
        var (audio, video, data) = (answer.Description!.Media[0], answer.Description.Media[1], answer.Description.Media[2]);

        Assert.True(answer.Description.IceLite);
        Assert.Equal(["0", "1"], answer.Description.BundleMids);
        Assert.Equal([111, 9, 0, 8], audio.Codecs.Select(c => c.PayloadType));
        // VP8; of six H.264 variants the constrained-baseline one in packetization mode 1; VP9 profile 0. No AV1, RTX, RED, FEC.
        Assert.Equal([96, 108, 98], video.Codecs.Select(c => c.PayloadType));
        var offered = Offer().Media[1].Codecs;
        Assert.All(video.Codecs, c => Assert.Equal(offered.Single(o => o.PayloadType == c.PayloadType).Fmtp, c.Fmtp));
        Assert.All(answer.Description.Media.SelectMany(m => m.Codecs).SelectMany(c => c.RtcpFeedback),
            f => Assert.Contains(f, new[] { "nack", "nack pli", "ccm fir" }));
        foreach (var section in new[] { audio, video })
        {
            Assert.Equal((9, MediaDirection.RecvOnly, "passive"), (section.Port, section.Direction, section.Setup));
            Assert.Equal([new HeaderExtension(4, HeaderExtension.SdesMid)], section.HeaderExtensions);
            Assert.Null(section.Msid);
            Assert.Empty(section.Ssrcs);
        }
        Assert.Equal((0, "2", MediaDirection.Inactive), (data.Port, data.Mid, data.Direction));
        foreach (var absent in new[] { "transport-cc", "goog-remb", "rtx/", "red/", "ulpfec", "AV1", "a=ssrc", "a=msid:" })
            Assert.DoesNotContain(absent, answer.Sdp);
        Assert.Equal(new TransportParameters("p2gC", "3xT4n3e6FxFSDgCbx9Ku/ewM", new Fingerprint("sha-256", ChromiumFingerprint), "actpass"), answer.Remote);
        Assert.Empty(answer.Senders);
        Assert.Empty(answer.Warnings);
    }

    [Fact]
    public void The_answer_reads_back_into_the_description_it_was_written_from()
    {
        var answer = Answer();

        var read = SessionDescription.Parse(answer.Sdp, out var error);

        Assert.Null(error);
        Assert.Equal(answer.Sdp, read!.ToSdp());
        Assert.True(read.IceLite);
        Assert.Equal(answer.Description!.Origin, read.Origin);
        Assert.Equal(answer.Description.Media.Select(m => (m.Mid, m.Direction, m.Port)), read.Media.Select(m => (m.Mid, m.Direction, m.Port)));
    }

    [Fact]
    public void A_server_offer_adds_a_sendonly_video_section_after_the_negotiated_ones()
    {
        var answer = Answer();
        var codecs = NegotiatedCodecs.From(answer.Description!);

        var offer = SdpNegotiation.Offer(answer.Description, Server, [SenderSlot.New(Video("a", 1111))], codecs);

        Assert.True(offer.Succeeded, offer.Error);
        var description = offer.Description!;
        Assert.Equal(answer.Description!.Origin! with { Version = 2 }, description.Origin);
        Assert.Equal(["0", "1", "2", "3"], description.Media.Select(m => m.Mid));
        Assert.Equal(["0", "1", "3"], description.BundleMids);
        Assert.Equal([MediaDirection.RecvOnly, MediaDirection.RecvOnly, MediaDirection.Inactive, MediaDirection.SendOnly],
            description.Media.Select(m => m.Direction));
        Assert.True(description.Media[2].IsRejected);
        Assert.All(description.Media.Where(m => !m.IsRejected), m => Assert.Equal("actpass", m.Setup));
        var added = description.Media[3];
        Assert.Equal(answer.Description.Media[1].Codecs, added.Codecs); // the payload types the browser already uses
        Assert.Equal(new SenderBinding("3", Video("a", 1111), added.Codecs[0]), Assert.Single(offer.Senders));
        Assert.Empty(offer.Warnings);
        Assert.EndsWith("""
            m=video 9 UDP/TLS/RTP/SAVPF 96 108 98
            c=IN IP4 0.0.0.0
            a=rtcp:9 IN IP4 0.0.0.0
            a=ice-ufrag:srvU
            a=ice-pwd:0123456789abcdefABCDEF+/
            """.ReplaceLineEndings("\r\n") + $"\r\na=fingerprint:sha-256 {Server.FingerprintSha256}\r\n" + """
            a=setup:actpass
            a=mid:3
            a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
            a=sendonly
            a=msid:stream-a track-a
            a=rtcp-mux
            a=rtcp-rsize
            a=rtpmap:96 VP8/90000
            a=rtcp-fb:96 ccm fir
            a=rtcp-fb:96 nack
            a=rtcp-fb:96 nack pli
            a=rtpmap:108 H264/90000
            a=rtcp-fb:108 ccm fir
            a=rtcp-fb:108 nack
            a=rtcp-fb:108 nack pli
            a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
            a=rtpmap:98 VP9/90000
            a=rtcp-fb:98 ccm fir
            a=rtcp-fb:98 nack
            a=rtcp-fb:98 nack pli
            a=fmtp:98 profile-id=0
            a=ssrc:1111 cname:cname-a
            a=ssrc:1111 msid:stream-a track-a
            a=candidate:1 1 udp 2130706431 192.0.2.10 3478 typ host
            a=candidate:2 1 udp 2130706175 2001:db8::10 3478 typ host
            a=end-of-candidates
            """.ReplaceLineEndings("\r\n") + "\r\n", offer.Sdp);
        Assert.DoesNotContain("a=setup:passive", offer.Sdp);
    }

    [Fact]
    public void A_freed_section_stays_inactive_in_bundle_and_carries_the_next_track_of_its_kind()
    {
        var answer = Answer();
        var codecs = NegotiatedCodecs.From(answer.Description!);
        var first = SdpNegotiation.Offer(answer.Description, Server, [SenderSlot.New(Video("a", 1111))], codecs);

        var freed = SdpNegotiation.Offer(first.Description, Server, [], codecs);

        var section = freed.Description!.Media[3];
        Assert.Equal(("3", 9, MediaDirection.Inactive), (section.Mid, section.Port, section.Direction));
        Assert.Null(section.Msid);
        Assert.Empty(section.Ssrcs);
        Assert.Equal(["0", "1", "3"], freed.Description.BundleMids);
        Assert.Empty(freed.Senders);
        Assert.Equal(3ul, freed.Description.Origin!.Version);

        var next = SdpNegotiation.Offer(freed.Description, Server, [SenderSlot.New(Video("b", 2222)), SenderSlot.New(Audio("c", 3333))], codecs);

        Assert.Empty(next.Warnings);
        Assert.Equal(["0", "1", "2", "3", "4"], next.Description!.Media.Select(m => m.Mid));
        Assert.Equal(["0", "1", "3", "4"], next.Description.BundleMids);
        Assert.Equal([("3", "track-b", 96), ("4", "track-c", 111)], next.Senders.Select(s => (s.Mid, s.Track.TrackId, s.Codec.PayloadType)));
        Assert.Equal(new Msid("stream-b", "track-b"), next.Description.Media[3].Msid);
        Assert.Equal((MediaKind.Audio, MediaDirection.SendOnly), (next.Description.Media[4].Kind, next.Description.Media[4].Direction));
        Assert.Equal([111, 9, 0, 8], next.Description.Media[4].Codecs.Select(c => c.PayloadType));

        // Naming the sections they now have keeps everything as it is, one version up.
        var again = SdpNegotiation.Offer(next.Description, Server, [SenderSlot.At("3", Video("b", 2222)), SenderSlot.At("4", Audio("c", 3333))], codecs);
        Assert.Equal(next.Sdp.Replace(" 4 IN IP4", " 5 IN IP4"), again.Sdp);
    }

    [Fact]
    public void Tracks_go_only_where_they_fit_and_the_rest_is_reported()
    {
        var answer = Answer();
        var codecs = NegotiatedCodecs.From(answer.Description!);

        var offer = SdpNegotiation.Offer(answer.Description, Server,
        [
            SenderSlot.At("1", Video("back", 1)),  // on the browser's own video section: sendrecv
            SenderSlot.New(Video("av1", 2, "AV1")),  // a codec the browser did not negotiate
            SenderSlot.At("2", Video("data", 3)),  // the rejected data channel section
            SenderSlot.At("9", Video("nowhere", 4)),
            SenderSlot.New(Video("bad id", 5)),
            SenderSlot.At("0", Video("wrong kind", 6)),
        ], codecs);

        Assert.True(offer.Succeeded);
        Assert.Equal(["0", "1", "2"], offer.Description!.Media.Select(m => m.Mid));
        Assert.Equal([MediaDirection.RecvOnly, MediaDirection.SendRecv, MediaDirection.Inactive], offer.Description.Media.Select(m => m.Direction));
        Assert.Equal("track-back", Assert.Single(offer.Senders).Track.TrackId);
        Assert.Equal(5, offer.Warnings.Count);
    }

    [Fact]
    public void The_answer_sends_where_a_slot_names_a_section_the_browser_receives_on()
    {
        // As in a browser's re-offer that carries a section the server added: the browser only receives there.
        var parsed = Offer();
        var offer = parsed with { Media = [parsed.Media[0], parsed.Media[1] with { Direction = MediaDirection.RecvOnly }, parsed.Media[2]] };

        var answer = SdpNegotiation.Answer(offer, Server,
            [SenderSlot.At("0", Audio("y", 7)), SenderSlot.At("1", Video("x", 8)), SenderSlot.At("2", Video("z", 9))]);

        Assert.Equal([MediaDirection.SendRecv, MediaDirection.SendOnly, MediaDirection.Inactive], answer.Description!.Media.Select(m => m.Direction));
        Assert.Equal([("0", 111), ("1", 96)], answer.Senders.Select(s => (s.Mid, s.Codec.PayloadType)));
        Assert.Contains("a=sendonly\r\na=msid:stream-x track-x\r\n", answer.Sdp);
        Assert.Contains("a=ssrc:8 msid:stream-x track-x\r\n", answer.Sdp);
        Assert.Single(answer.Warnings); // mid 2 is rejected
    }

    [Fact]
    public void Offers_the_sfu_cannot_take_get_an_error_and_no_description()
    {
        static string? Error(string sdp) => SdpNegotiation.Answer(SessionDescription.Parse(sdp)!, Server).Error;

        Assert.Contains("BUNDLE", Error(ChromiumOffer.Replace("a=group:BUNDLE 0 1 2\r\n", "")));
        Assert.Contains("setup:passive", Error(ChromiumOffer.Replace("a=setup:actpass", "a=setup:passive")));
        Assert.Contains("fingerprint", Error(string.Join("\r\n", ChromiumOffer.Split("\r\n").Where(l => !l.StartsWith("a=fingerprint")))));
        Assert.Contains("ICE", Error(ChromiumOffer.Replace("a=ice-pwd:3xT4n3e6FxFSDgCbx9Ku/ewM", "a=ice-pwd:short")));
        var badServer = SdpNegotiation.Answer(Offer(), Server with { FingerprintSha256 = "not hex" });
        Assert.False(badServer.Succeeded);
        Assert.Equal("", badServer.Sdp);
        Assert.NotNull(SdpNegotiation.Offer(null, Server with { Candidates = [] }, [], NegotiatedCodecs.Default).Error);
    }

    [Fact]
    public void An_offer_without_audio_or_video_is_answered_with_everything_rejected()
    {
        var parsed = Offer();
        var answer = SdpNegotiation.Answer(parsed with { Media = [parsed.Media[2]] }, Server);

        Assert.True(answer.Succeeded, answer.Error);
        Assert.Empty(answer.Description!.BundleMids);
        Assert.DoesNotContain("a=group", answer.Sdp);
        Assert.Null(answer.Remote);
    }

    [Fact]
    public void A_kind_the_browser_has_not_negotiated_gets_the_default_codecs_without_payload_type_clashes()
    {
        var parsed = Offer();
        var audioOnly = SdpNegotiation.Answer(parsed with { Media = [parsed.Media[0]], BundleMids = ["0"] }, Server).Description!;

        Assert.Equal([96, 98, 108], NegotiatedCodecs.From(audioOnly).Video.Select(c => c.PayloadType));

        var clash = audioOnly with { Media = [audioOnly.Media[0] with { Codecs = [new Codec(96, "opus", 48000, 2)] }] };
        Assert.Equal([98, 108], NegotiatedCodecs.From(clash).Video.Select(c => c.PayloadType));
        Assert.Equal(4, NegotiatedCodecs.From(audioOnly).MidExtensionId);
    }

    [Fact]
    public void Negotiation_keeps_one_payload_type_per_codec_the_sfu_forwards()
    {
        Codec H264(int pt, string mode, string profile) =>
            new(pt, "H264", 90000, null, $"level-asymmetry-allowed=1;packetization-mode={mode};profile-level-id={profile}");
        Codec[] video =
        [
            H264(104, "0", "42e01f"), H264(116, "1", "4d001f"), H264(102, "1", "42001f"),
            new(100, "VP9", 90000, null, "profile-id=2"), new(97, "rtx", 90000, null, "apt=96"), new(96, "vp8", 90000),
            H264(108, "1", "42e01f"), new(98, "VP9", 90000), new(99, "VP8", 90000), new(118, "red", 90000),
        ];

        Assert.Equal([96, 108, 98], CodecPreferences.Negotiate(MediaKind.Video, video).Select(c => c.PayloadType));
        Assert.Equal([102], CodecPreferences.Negotiate(MediaKind.Video, video.Where(c => c.PayloadType != 108)).Select(c => c.PayloadType).Where(pt => pt > 100));
        Assert.Empty(CodecPreferences.Negotiate(MediaKind.Audio, video));
        Codec[] audio = [new(109, "opus", 48000, 1), new(0, "PCMU", 8000, 1), new(111, "OPUS", 48000, 2), new(13, "CN", 8000)];
        Assert.Equal([0, 111], CodecPreferences.Negotiate(MediaKind.Audio, audio).Select(c => c.PayloadType));

        Assert.True(CodecPreferences.SameFormat(H264(1, "1", "42e01f"), H264(2, "1", "42001f")));
        Assert.False(CodecPreferences.SameFormat(H264(1, "1", "42e01f"), H264(2, "1", "640c1f")));
        Assert.True(CodecPreferences.SameFormat(new Codec(1, "VP9", 90000), new Codec(2, "vp9", 90000, null, "profile-id=0")));
        Assert.False(CodecPreferences.SameFormat(new Codec(1, "opus", 48000, 2), new Codec(1, "VP8", 90000)));
        Assert.True(CodecPreferences.IsSupportedFeedback("nack  pli"));
        Assert.False(CodecPreferences.IsSupportedFeedback("transport-cc"));
    }

    [Fact]
    public void A_browser_answer_must_fit_the_server_offer()
    {
        var answer = Answer();
        var offer = SdpNegotiation.Offer(answer.Description, Server, [SenderSlot.New(Video("a", 1))], NegotiatedCodecs.From(answer.Description!)).Description!;
        MediaDescription Reply(MediaDescription m) => m.IsRejected ? m : m with { Setup = "active", Direction = m.Direction is MediaDirection.SendOnly ? MediaDirection.RecvOnly : MediaDirection.SendOnly };
        var fitting = offer with { IceLite = false, Media = offer.Media.Select(Reply).ToList() };

        Assert.Null(SdpNegotiation.CheckAnswer(offer, fitting));
        Assert.NotNull(SdpNegotiation.CheckAnswer(offer, fitting with { Media = fitting.Media.Take(3).ToList() }));
        Assert.NotNull(SdpNegotiation.CheckAnswer(offer, fitting with { Media = [fitting.Media[1], fitting.Media[0], .. fitting.Media.Skip(2)] }));
        Assert.NotNull(SdpNegotiation.CheckAnswer(offer, fitting with { Media = [.. fitting.Media.Take(3), fitting.Media[3] with { Setup = "passive" }] }));
        Assert.NotNull(SdpNegotiation.CheckAnswer(offer, fitting with { Media = [.. fitting.Media.Take(2), fitting.Media[2] with { Port = 9 }, fitting.Media[3]] }));
    }

    [Fact]
    public void A_section_the_browser_rejects_stays_rejected_in_later_offers()
    {
        var answer = Answer();
        var codecs = NegotiatedCodecs.From(answer.Description!);
        var offer = SdpNegotiation.Offer(answer.Description, Server, [SenderSlot.New(Video("a", 1))], codecs).Description!;
        var browserAnswer = offer with { Media = [.. offer.Media.Take(3), offer.Media[3] with { Port = 0 }] };

        var settled = SdpNegotiation.Settle(offer, browserAnswer);

        Assert.True(settled.Media[3].IsRejected);
        Assert.Equal(["0", "1"], settled.BundleMids);
        var next = SdpNegotiation.Offer(settled, Server, [SenderSlot.New(Video("b", 2))], codecs).Description!;
        Assert.Equal(["0", "1", "2", "3", "4"], next.Media.Select(m => m.Mid));
        Assert.True(next.Media[3].IsRejected);
        Assert.Equal(["0", "1", "4"], next.BundleMids);
    }

    [Fact]
    public void Bundle_only_sections_are_taken_not_rejected()
    {
        // Firefox under max-bundle: the second section has port 0 and a=bundle-only.
        var text = ChromiumOffer.Replace("m=video 58087", "m=video 0").Replace("a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n");
        var offer = SessionDescription.Parse(text)!;

        Assert.True(offer.Media[1].BundleOnly);
        Assert.False(offer.Media[1].IsRejected);
        var video = SdpNegotiation.Answer(offer, Server).Description!.Media[1];
        Assert.Equal((9, false, MediaDirection.RecvOnly), (video.Port, video.BundleOnly, video.Direction));
    }

    public static TheoryData<string, string?> HostileInputs => new()
    {
        { "null", null },
        { "empty", "" },
        { "blank", " \r\n\r\n" },
        { "garbage", "garbage" },
        { "binary", "\0\u0001\u00ff\ud800" },
        { "another version", "v=1\r\ns=-\r\n" },
        { "not type=value", "v=0\r\nhello\r\n" },
        { "short m= line", "v=0\r\nm=audio\r\n" },
        { "port out of range", "v=0\r\nm=audio 70000 RTP/AVP 0\r\n" },
        { "negative port", "v=0\r\nm=audio -1 RTP/AVP 0\r\n" },
        { "duplicate mid", "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:x\r\nm=audio 9 RTP/AVP 0\r\na=mid:x\r\n" },
        { "10 000 m-lines", "v=0\r\n" + string.Concat(Enumerable.Repeat("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", 10_000)) },
        { "65 m-lines", "v=0\r\n" + string.Concat(Enumerable.Repeat("m=audio 9 X 0\r\n", 65)) },
        { "a 5 KB line", "v=0\r\na=" + new string('x', 5000) + "\r\n" },
        { "a 5 KB line in an offer", ChromiumOffer.Replace("a=mid:1", "a=mid:1" + new string('1', 5000)) },
        { "70 KB", ChromiumOffer + string.Concat(Enumerable.Repeat("a=x\r\n", 14_000)) },
        { "a megabyte on one line", new string('v', 1 << 20) },
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public void Hostile_input_gives_null_and_a_reason(string name, string? sdp)
    {
        var parsed = SessionDescription.Parse(sdp, out var error);

        Assert.Null(parsed);
        Assert.False(string.IsNullOrEmpty(error), name);
        Assert.Null(SessionDescription.Parse(sdp));
    }

    private const string Noise = " :/=\r\n0aZ\0-*";

    [Fact]
    public void Mangled_offers_never_throw()
    {
        var random = new Random(8842);
        var lines = ChromiumOffer.Split("\r\n");
        var samples = new List<string>();
        for (var length = 0; length < ChromiumOffer.Length; length += 7) samples.Add(ChromiumOffer[..length]);
        for (var i = 0; i < 500; i++)
        {
            var chars = ChromiumOffer.ToCharArray();
            for (var j = 0; j < 1 + i % 20; j++) chars[random.Next(chars.Length)] = Noise[random.Next(Noise.Length)];
            samples.Add(new string(chars));
            samples.Add(string.Join("\r\n", lines.Where(_ => random.Next(4) != 0)));
            samples.Add(string.Join("\r\n", lines.OrderBy(_ => random.Next())));
        }

        var parsed = 0;
        foreach (var sample in samples)
        {
            if (SessionDescription.Parse(sample) is not { } offer) continue;
            parsed++;
            var answer = SdpNegotiation.Answer(offer, Server, [SenderSlot.At("1", Video("a", 1))]);
            if (!answer.Succeeded) continue;
            Assert.NotNull(SessionDescription.Parse(answer.Sdp));
            var next = SdpNegotiation.Offer(answer.Description, Server, [SenderSlot.New(Video("b", 2))], NegotiatedCodecs.From(answer.Description!));
            Assert.NotNull(SessionDescription.Parse(next.Sdp));
            _ = SdpNegotiation.CheckAnswer(next.Description!, offer);
        }
        Assert.True(parsed > samples.Count / 4, $"only {parsed} of {samples.Count} samples parsed");
    }

    [Fact]
    public void Fingerprints_read_normalised_and_match_certificates()
    {
        var certificate = "a DER certificate"u8.ToArray();
        var own = Fingerprint.Sha256(certificate);

        Assert.Equal("sha-256", own.Algorithm);
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", own.Value);
        Assert.Equal(own, Fingerprint.Parse("SHA-256 " + own.Value.ToLowerInvariant()));
        Assert.True(own.Matches(certificate));
        Assert.False(own.Matches("another certificate"u8));
        Assert.Equal("sha-256 " + own.Value, own.ToString());
        Assert.Null(Fingerprint.Parse("sha-256 AB:CD")); // too short for SHA-256
        Assert.Null(Fingerprint.Parse("sha-1 " + own.Value)); // too long for SHA-1
        Assert.NotNull(Fingerprint.Parse("md9 AB:CD")); // an algorithm the server does not know reads, but is not supported
        Assert.False(Fingerprint.Parse("md9 AB:CD")!.IsSupported);
        foreach (var bad in new[] { null, "", "sha-256", " AB", "sha-256 GG:00", "sha-256 ABC:D", "sha 256 AB" })
            Assert.Null(Fingerprint.Parse(bad));
    }

    [Fact]
    public void Generated_ice_credentials_are_valid_and_fresh()
    {
        var a = IceCredentials.Generate();
        var b = IceCredentials.Generate();

        Assert.True(IceCredentials.IsValidUfrag(a.Ufrag));
        Assert.True(IceCredentials.IsValidPwd(a.Pwd));
        Assert.NotEqual(a, b);
        Assert.False(IceCredentials.IsValidUfrag("abc"));
        Assert.False(IceCredentials.IsValidPwd("has a space in it, and is long"));
    }

    /// <summary>
    /// The same descriptions given to a real Chromium: it takes the server's answer to its offer, answers the
    /// server's offers as a track is added, removed and replaced (firing ontrack with the server's stream ids), and
    /// takes the server's answer to its own re-offer when it adds a second camera. No media flows (nothing listens
    /// at the candidate): setRemoteDescription and setLocalDescription are what validate the SDP.
    /// </summary>
    [Collection(BrowserCollection.Name)]
    public sealed class InChromium(ChromiumFixture chromium, ITestOutputHelper output)
    {
        private static readonly ServerIdentity Local = Server with { Candidates = [new IPEndPoint(IPAddress.Loopback, 3478)] };

        /// <summary>Audio from an oscillator and video from a canvas (no devices needed), and a data channel the
        /// server rejects.</summary>
        private const string Start = """
            async () => {
              const canvas = document.createElement('canvas');
              canvas.width = 160; canvas.height = 120;
              canvas.getContext('2d').fillRect(0, 0, 160, 120);
              window.canvas = canvas;
              const video = canvas.captureStream(5).getVideoTracks()[0];
              const audioContext = new AudioContext();
              const destination = audioContext.createMediaStreamDestination();
              audioContext.createOscillator().connect(destination);
              const audio = destination.stream.getAudioTracks()[0];
              const stream = new MediaStream([audio, video]);
              const pc = new RTCPeerConnection();
              window.pc = pc;
              window.received = [];
              pc.ontrack = e => window.received.push(`${e.transceiver.mid} ${e.track.kind} ${e.streams.map(s => s.id).join(',')}`);
              pc.addTrack(audio, stream);
              pc.addTrack(video, stream);
              pc.createDataChannel('chat');
              await pc.setLocalDescription();
              return pc.localDescription.sdp;
            }
            """;

        private const string Directions = "pc.signalingState + ' ' + pc.getTransceivers().map(t => `${t.mid}:${t.currentDirection}`).join(' ')";

        private const string TakeAnswer = $$"""
            async sdp => {
              await pc.setRemoteDescription({ type: 'answer', sdp });
              return {{Directions}};
            }
            """;

        private const string TakeOffer = """
            async sdp => {
              await pc.setRemoteDescription({ type: 'offer', sdp });
              await pc.setLocalDescription();
              return pc.localDescription.sdp;
            }
            """;

        private const string AddCamera = """
            async () => {
              const stream = window.canvas.captureStream(5);
              pc.addTrack(stream.getVideoTracks()[0], stream);
              await pc.setLocalDescription();
              return pc.localDescription.sdp;
            }
            """;

        [Fact]
        public async Task Chromium_takes_the_answers_and_answers_the_server_offers()
        {
            await using var context = await chromium.Browser.NewContextAsync();
            var page = await context.NewPageAsync();
            page.Console += (_, message) => output.WriteLine($"console.{message.Type}: {message.Text}");

            var offer = SessionDescription.Parse(await page.EvaluateAsync<string>(Start), out var error);
            Assert.True(offer is not null, error);
            Assert.Equal([MediaKind.Audio, MediaKind.Video, MediaKind.Application], offer.Media.Select(m => m.Kind));
            var answer = SdpNegotiation.Answer(offer, Local);
            Assert.True(answer.Succeeded, answer.Error);
            output.WriteLine(answer.Sdp);
            Assert.Equal("stable 0:sendonly 1:sendonly", await page.EvaluateAsync<string>(TakeAnswer, answer.Sdp));

            var codecs = NegotiatedCodecs.From(answer.Description!);
            var previous = answer.Description!;
            async Task<SessionDescription> ExchangeAsync(IReadOnlyList<SenderSlot> slots)
            {
                var serverOffer = SdpNegotiation.Offer(previous, Local, slots, codecs);
                Assert.Empty(serverOffer.Warnings);
                output.WriteLine(serverOffer.Sdp);
                var reply = SessionDescription.Parse(await page.EvaluateAsync<string>(TakeOffer, serverOffer.Sdp), out var replyError);
                Assert.True(reply is not null, replyError);
                Assert.Null(SdpNegotiation.CheckAnswer(serverOffer.Description!, reply));
                previous = serverOffer.Description!;
                return reply;
            }

            var first = await ExchangeAsync([SenderSlot.New(Video("a", 1111))]);
            Assert.Equal(MediaDirection.RecvOnly, first.Section("3")!.Direction);
            Assert.Equal(MediaDirection.SendOnly, first.Section("0")!.Direction);
            Assert.Contains(first.Section("3")!.Codecs[0].PayloadType, codecs.Video.Select(c => c.PayloadType));

            var freed = await ExchangeAsync([]);
            Assert.Equal(MediaDirection.Inactive, freed.Section("3")!.Direction);

            var reused = await ExchangeAsync([SenderSlot.New(Video("b", 2222)), SenderSlot.New(Audio("c", 3333))]);
            Assert.Equal(MediaDirection.RecvOnly, reused.Section("3")!.Direction);
            Assert.Equal(MediaDirection.RecvOnly, reused.Section("4")!.Direction);
            Assert.Equal(5, reused.Media.Count);
            Assert.Equal(["3 video stream-b", "4 audio stream-c"], previous.Media.Skip(3).Select(m => $"{m.Mid} {m.Kind.ToSdp()} {m.Msid?.StreamId}"));

            // The browser renegotiates to add a second camera; its offer carries the server's sections, which keep their tracks.
            var reOffer = SessionDescription.Parse(await page.EvaluateAsync<string>(AddCamera), out var reOfferError);
            Assert.True(reOffer is not null, reOfferError);
            output.WriteLine(reOffer.ToSdp());
            var reAnswer = SdpNegotiation.Answer(reOffer, Local, [SenderSlot.At("3", Video("b", 2222)), SenderSlot.At("4", Audio("c", 3333))], previous);
            Assert.True(reAnswer.Succeeded, reAnswer.Error);
            Assert.Empty(reAnswer.Warnings);
            Assert.Equal(2, reAnswer.Senders.Count);
            output.WriteLine(reAnswer.Sdp);
            // addTrack reuses the video transceiver the server's offer created (its sender never sent), so the camera
            // goes out on mid 3, which now carries media both ways.
            Assert.Equal(5, reOffer.Media.Count);
            Assert.Equal(MediaDirection.SendRecv, reOffer.Section("3")!.Direction);
            Assert.Equal(MediaDirection.SendRecv, reAnswer.Description!.Section("3")!.Direction);
            Assert.Equal(previous.Origin! with { Version = previous.Origin.Version + 1 }, reAnswer.Description.Origin);
            Assert.Equal("stable 0:sendonly 1:sendonly 3:sendrecv 4:recvonly", await page.EvaluateAsync<string>(TakeAnswer, reAnswer.Sdp));

            var received = await page.EvaluateAsync<string[]>("() => window.received");
            Assert.Equal(["3 video stream-a", "3 video stream-b", "4 audio stream-c"], received);
        }
    }
}
