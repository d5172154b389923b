using System.Net;
using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>
/// The server's side of one browser session's transport, written into every description sent to that browser.
/// </summary>
/// <param name="IceUfrag">This session's ICE username fragment: on the SFU's one UDP port, it is what tells the
/// sessions apart (see <see cref="IceCredentials.Generate"/>).</param>
/// <param name="IcePwd">This session's ICE password.</param>
/// <param name="FingerprintSha256">The SHA-256 of the server's DTLS certificate as colon-separated hex pairs
/// ("AB:CD:…", see <see cref="Fingerprint.Sha256"/>).</param>
/// <param name="Candidates">The addresses browsers reach the SFU's UDP port at; each becomes a host candidate, the
/// first one preferred.</param>
public sealed record ServerIdentity(string IceUfrag, string IcePwd, string FingerprintSha256, IReadOnlyList<IPEndPoint> Candidates)
{
    /// <summary>Why this identity cannot be written into SDP, or null.</summary>
    internal string? Problem()
    {
        if (!IceCredentials.IsValidUfrag(IceUfrag)) return "the server's ICE ufrag is not 4-256 ice-chars";
        if (!IceCredentials.IsValidPwd(IcePwd)) return "the server's ICE password is not 22-256 ice-chars";
        if (Fingerprint.Parse($"{Fingerprint.Sha256Name} {FingerprintSha256}") is null)
            return "the server's fingerprint is not 32 colon-separated hex pairs";
        if (Candidates.Count == 0) return "the server has no candidate address";
        return null;
    }

    /// <summary>Host candidates for <see cref="Candidates"/> (RFC 8839 §5.1): priority 126 for host, a local
    /// preference falling with each address, component 1 (rtcp-mux).</summary>
    internal IReadOnlyList<string> CandidateLines() => Candidates.Select((endpoint, i) =>
    {
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        var priority = (126L << 24) + ((65535L - Math.Min(i, 65535)) << 8) + 255;
        return $"candidate:{i + 1} 1 udp {priority} {address} {endpoint.Port} typ host";
    }).ToList();
}
