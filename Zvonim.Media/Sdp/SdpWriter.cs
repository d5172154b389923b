using System.Text;
using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>
/// Writes a <see cref="SessionDescription"/> as SDP text in the shape Chromium writes and accepts: CRLF line
/// endings, the session part, then each section with its transport lines first, then RTP parameters, then the
/// sending track, then candidates. Written for the descriptions <see cref="SdpNegotiation"/> builds (RTP sections
/// under BUNDLE, rejected sections of any kind); attributes the model does not hold (SCTP ones) are not written.
/// </summary>
public static class SdpWriter
{
    /// <summary>BUNDLE puts media on the candidates' address; the m= and c= lines only have to be well-formed.</summary>
    private const string NullConnection = "IN IP4 0.0.0.0";

    public static string Write(SessionDescription description)
    {
        var sdp = new StringBuilder(2048);
        Line(sdp, "v=0");
        var origin = description.Origin ?? new Origin("0", 0);
        Line(sdp, $"o=- {origin.SessionId} {origin.Version} {NullConnection}");
        Line(sdp, "s=-");
        Line(sdp, "t=0 0");
        if (description.IceLite) Line(sdp, "a=ice-lite");
        if (description.BundleMids.Count > 0) Line(sdp, "a=group:BUNDLE " + string.Join(' ', description.BundleMids));
        // "*": this side's msids name streams; the semantic line itself is what older Chromiums looked for.
        Line(sdp, "a=msid-semantic: WMS *");
        WriteTransport(sdp, description.IceUfrag, description.IcePwd, description.Fingerprint, description.Setup);
        foreach (var media in description.Media)
        {
            if (media.IsRejected) WriteRejected(sdp, media);
            else WriteSection(sdp, media);
        }
        return sdp.ToString();
    }

    /// <summary>A rejected section: port 0 and just enough to keep its place and mid (RFC 3264 §6, RFC 8843 §7.3.3).</summary>
    private static void WriteRejected(StringBuilder sdp, MediaDescription media)
    {
        var formats = media.Formats.Count > 0 ? string.Join(' ', media.Formats) : "0";
        Line(sdp, $"m={media.Media} 0 {media.Protocol} {formats}");
        Line(sdp, $"c={NullConnection}");
        if (media.Mid is not null) Line(sdp, $"a=mid:{media.Mid}");
        Line(sdp, "a=inactive");
    }

    private static void WriteSection(StringBuilder sdp, MediaDescription media)
    {
        Line(sdp, $"m={media.Media} {media.Port} {media.Protocol} {string.Join(' ', media.Formats)}");
        Line(sdp, $"c={NullConnection}");
        Line(sdp, $"a=rtcp:9 {NullConnection}");
        WriteTransport(sdp, media.IceUfrag, media.IcePwd, media.Fingerprint, media.Setup);
        if (media.Mid is not null) Line(sdp, $"a=mid:{media.Mid}");
        if (media.BundleOnly) Line(sdp, "a=bundle-only");
        foreach (var extension in media.HeaderExtensions) Line(sdp, $"a=extmap:{extension.Id} {extension.Uri}");
        Line(sdp, "a=" + media.Direction.ToSdp());
        if (media.Msid is not null) Line(sdp, $"a=msid:{media.Msid}");
        if (media.RtcpMux) Line(sdp, "a=rtcp-mux");
        if (media.RtcpReducedSize) Line(sdp, "a=rtcp-rsize");
        foreach (var codec in media.Codecs)
        {
            Line(sdp, $"a=rtpmap:{codec.PayloadType} {codec.RtpMap}");
            foreach (var feedback in codec.RtcpFeedback) Line(sdp, $"a=rtcp-fb:{codec.PayloadType} {feedback}");
            if (codec.Fmtp is not null) Line(sdp, $"a=fmtp:{codec.PayloadType} {codec.Fmtp}");
        }
        foreach (var group in media.SsrcGroups) Line(sdp, $"a=ssrc-group:{group.Semantics} {string.Join(' ', group.Ssrcs)}");
        foreach (var ssrc in media.Ssrcs)
        {
            if (ssrc.Cname is not null) Line(sdp, $"a=ssrc:{ssrc.Ssrc} cname:{ssrc.Cname}");
            if (ssrc.Msid is not null) Line(sdp, $"a=ssrc:{ssrc.Ssrc} msid:{ssrc.Msid}");
        }
        foreach (var candidate in media.Candidates) Line(sdp, "a=" + candidate);
        if (media.EndOfCandidates) Line(sdp, "a=end-of-candidates");
    }

    private static void WriteTransport(StringBuilder sdp, string? ufrag, string? pwd, Fingerprint? fingerprint, string? setup)
    {
        if (ufrag is not null) Line(sdp, $"a=ice-ufrag:{ufrag}");
        if (pwd is not null) Line(sdp, $"a=ice-pwd:{pwd}");
        if (fingerprint is not null) Line(sdp, $"a=fingerprint:{fingerprint}");
        if (setup is not null) Line(sdp, $"a=setup:{setup}");
    }

    private static void Line(StringBuilder sdp, string line) => sdp.Append(line).Append("\r\n");
}
