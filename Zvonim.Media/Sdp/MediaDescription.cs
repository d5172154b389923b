using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>
/// One media section (an m= line and the attributes under it). Immutable: the builders derive new sections with
/// <c>with</c>. ICE credentials, fingerprint and setup are the section's effective values: its own lines, else the
/// session-level ones.
/// </summary>
public sealed record MediaDescription
{
    /// <summary>The m= line's media word as written ("audio", "video", "application", …).</summary>
    public required string Media { get; init; }

    public MediaKind Kind => MediaKinds.Parse(Media);

    /// <summary>0 rejects the section (RFC 3264 §6). Under BUNDLE a live section carries 9, the discard port:
    /// the real address is in the candidates.</summary>
    public int Port { get; init; }

    /// <summary>"UDP/TLS/RTP/SAVPF" for media, "UDP/DTLS/SCTP" for data channels.</summary>
    public required string Protocol { get; init; }

    /// <summary>The m= line's formats: payload type numbers for RTP, "webrtc-datachannel" for SCTP.</summary>
    public IReadOnlyList<string> Formats { get; init; } = [];

    public string? Mid { get; init; }

    public MediaDirection Direction { get; init; } = MediaDirection.SendRecv;

    public bool RtcpMux { get; init; }

    /// <summary>a=rtcp-rsize: reduced-size RTCP (RFC 5506) may be sent.</summary>
    public bool RtcpReducedSize { get; init; }

    /// <summary>The RTP payload types that have a known mapping, in the m= line's order (the author's preference).</summary>
    public IReadOnlyList<Codec> Codecs { get; init; } = [];

    public IReadOnlyList<HeaderExtension> HeaderExtensions { get; init; } = [];

    public IReadOnlyList<SsrcDescription> Ssrcs { get; init; } = [];

    public IReadOnlyList<SsrcGroup> SsrcGroups { get; init; } = [];

    /// <summary>The section's a=msid (the first, when there are several).</summary>
    public Msid? Msid { get; init; }

    /// <summary>a=candidate values as written, without "a=": "candidate:1 1 udp 2130706431 192.0.2.1 3478 typ host".</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    public bool EndOfCandidates { get; init; }

    public string? IceUfrag { get; init; }

    public string? IcePwd { get; init; }

    public Fingerprint? Fingerprint { get; init; }

    /// <summary>a=setup: "actpass", "active" or "passive" (RFC 4145, RFC 8842).</summary>
    public string? Setup { get; init; }

    /// <summary>a=bundle-only (RFC 8843 §6): port 0 that only means "use the BUNDLE transport", as Firefox writes
    /// under max-bundle. Such a section is not rejected.</summary>
    public bool BundleOnly { get; init; }

    public bool IsRejected => Port == 0 && !BundleOnly;

    /// <summary>The RTP extension id the author gave <paramref name="uri"/>, or null.</summary>
    public int? ExtensionId(string uri) => HeaderExtensions.FirstOrDefault(e => e.Uri == uri)?.Id;

    /// <summary>The ICE credentials and fingerprint, when the section has all three.</summary>
    public TransportParameters? Transport =>
        IceUfrag is not null && IcePwd is not null && Fingerprint is not null
            ? new TransportParameters(IceUfrag, IcePwd, Fingerprint, Setup)
            : null;
}
