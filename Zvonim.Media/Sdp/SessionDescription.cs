using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>
/// A session description (RFC 8866) as far as a BUNDLE-only, ICE-lite SFU needs it: the origin, ICE-lite, the
/// BUNDLE group and the media sections. <see cref="Parse(string?)"/> reads what a browser sends;
/// <see cref="SdpNegotiation"/> builds the server's own; <see cref="ToSdp"/> writes one out.
/// </summary>
public sealed record SessionDescription
{
    /// <summary>Characters of SDP read at most. A Chromium offer with audio, video and data is about 7 KB;
    /// simulcast and many tracks stay far below this.</summary>
    public const int MaxLength = 64 * 1024;

    public const int MaxLineLength = 4 * 1024;

    public const int MaxMediaSections = 64;

    public Origin? Origin { get; init; }

    /// <summary>a=ice-lite: the author only answers connectivity checks (the SFU's mode).</summary>
    public bool IceLite { get; init; }

    /// <summary>The mids of the first a=group:BUNDLE, in the order written; the first is the tagged one.</summary>
    public IReadOnlyList<string> BundleMids { get; init; } = [];

    /// <summary>Session-level values; each media section also carries its effective ones.</summary>
    public string? IceUfrag { get; init; }

    public string? IcePwd { get; init; }

    public Fingerprint? Fingerprint { get; init; }

    public string? Setup { get; init; }

    public IReadOnlyList<MediaDescription> Media { get; init; } = [];

    /// <summary>A description read from SDP text, or null when the text is not one this server will work with
    /// (see <see cref="Parse(string?, out string?)"/>). Never throws.</summary>
    public static SessionDescription? Parse(string? sdp) => SdpParser.Parse(sdp, out _);

    /// <summary>A description read from SDP text, or null and why not: not SDP (no "v=0" first, a line that is not
    /// "x=…", a malformed m= line, duplicate mids) or over the limits that bound the work a hostile client can ask
    /// for (<see cref="MaxLength"/> characters, <see cref="MaxLineLength"/> per line, <see cref="MaxMediaSections"/>
    /// sections). Lines the server has no use for are skipped, as are
    /// attributes it cannot read. Never throws.</summary>
    public static SessionDescription? Parse(string? sdp, out string? error) => SdpParser.Parse(sdp, out error);

    /// <summary>The section with this mid, or null.</summary>
    public MediaDescription? Section(string mid) => Media.FirstOrDefault(m => m.Mid == mid);

    /// <summary>The SDP text, lines ending in CRLF (see <see cref="SdpWriter"/>).</summary>
    public string ToSdp() => SdpWriter.Write(this);
}
