using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>The o= line's session id and version: the id stays for a peer connection's life, the version goes up
/// with every new description (RFC 3264 §8).</summary>
/// <param name="SessionId">Digits, kept as text: browsers use up to 64-bit values.</param>
public sealed record Origin(string SessionId, ulong Version);

/// <summary>An a=extmap header extension: the id the author numbers it with and its URI.</summary>
public sealed record HeaderExtension(int Id, string Uri)
{
    /// <summary>Carries the mid in each RTP packet: how BUNDLE demultiplexes before SSRCs are known.</summary>
    public const string SdesMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
}

/// <summary>a=msid: the stream (MediaStream) and the track it belongs to, as the sending side names them.</summary>
/// <param name="TrackId">Optional in RFC 8830; Chromium always writes it.</param>
public sealed record Msid(string StreamId, string? TrackId)
{
    public override string ToString() => TrackId is null ? StreamId : $"{StreamId} {TrackId}";
}

/// <summary>The a=ssrc lines of one SSRC: its RTCP CNAME and, in Chromium's offers, its msid.</summary>
public sealed record SsrcDescription(uint Ssrc, string? Cname, Msid? Msid);

/// <summary>a=ssrc-group: "FID primary rtx" pairs an SSRC with its retransmission SSRC (RFC 4588).</summary>
public sealed record SsrcGroup(string Semantics, IReadOnlyList<uint> Ssrcs)
{
    public bool Equals(SsrcGroup? other) => other is not null && Semantics == other.Semantics && Ssrcs.SequenceEqual(other.Ssrcs);

    public override int GetHashCode() => HashCode.Combine(Semantics, Ssrcs.Count);
}

/// <summary>What one side needs to know of the other's transport: ICE credentials and the DTLS certificate
/// fingerprint, and the DTLS role it asked for (a=setup).</summary>
public sealed record TransportParameters(string IceUfrag, string IcePwd, Fingerprint Fingerprint, string? Setup);
