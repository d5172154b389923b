using System.Security.Cryptography;

namespace Zvonim.Media.Dtls;

/// <summary>
/// A certificate fingerprint from a=fingerprint (RFC 8122): a hash algorithm name ("sha-256") and the hash as
/// upper-case hex pairs joined by colons. The DTLS handshake checks the peer's certificate against it and nothing else
/// (no CA, no name, no validity period): that is what ties the DTLS keys to the signalling channel. One grammar for
/// both: what SDP negotiation accepts is what the handshake checks.
/// </summary>
public sealed record Fingerprint(string Algorithm, string Value)
{
    public const string Sha256Name = "sha-256";

    /// <summary>A fingerprint from an a=fingerprint value ("sha-256 AB:CD:…"), or null when it is not one: the
    /// algorithm is a token, the value colon-separated hex pairs, and of the hash's length when the algorithm is
    /// known. The algorithm comes back lower-case and the value upper-case, so equal fingerprints compare equal.</summary>
    public static Fingerprint? Parse(string? text)
    {
        if (text is null) return null;
        var space = text.IndexOf(' ');
        if (space <= 0) return null;
        var algorithm = text[..space].ToLowerInvariant();
        var value = text[(space + 1)..].Trim().ToUpperInvariant();
        if (!algorithm.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')) return null;
        var fingerprint = new Fingerprint(algorithm, value);
        var bytes = fingerprint.Bytes();
        if (bytes is null) return null;
        return CertificateHashes.Length(algorithm) is { } length && bytes.Length != length ? null : fingerprint;
    }

    /// <summary>The SHA-256 fingerprint of a DER-encoded certificate, as the server announces its own.</summary>
    public static Fingerprint Sha256(ReadOnlySpan<byte> certificateDer) =>
        new(Sha256Name, Format(SHA256.HashData(certificateDer)));

    /// <summary>Upper-case hex pairs joined by colons: "AB:CD:…".</summary>
    public static string Format(ReadOnlySpan<byte> hash) => string.Join(':', Convert.ToHexString(hash).Chunk(2).Select(p => new string(p)));

    /// <summary>The hash bytes, or null when the value is not colon-separated hex pairs.</summary>
    public byte[]? Bytes()
    {
        var parts = Value.Split(':');
        if (parts.Length is 0 or > 64) return null;
        var bytes = new byte[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length != 2 || !char.IsAsciiHexDigit(parts[i][0]) || !char.IsAsciiHexDigit(parts[i][1])) return null;
            bytes[i] = Convert.ToByte(parts[i], 16);
        }
        return bytes;
    }

    /// <summary>Whether this algorithm is one the DTLS handshake can check a certificate with.</summary>
    public bool IsSupported => CertificateHashes.Length(Algorithm) is not null;

    /// <summary>Whether a DER-encoded certificate hashes to this fingerprint (false for algorithms the server does
    /// not know). Constant-time, so that a peer probing with certificates learns nothing from how long a refusal takes.</summary>
    public bool Matches(ReadOnlySpan<byte> certificateDer) =>
        CertificateHashes.Compute(Algorithm, certificateDer) is { } hash && Bytes() is { } expected && CryptographicOperations.FixedTimeEquals(hash, expected);

    /// <summary>The a=fingerprint value.</summary>
    public override string ToString() => $"{Algorithm} {Value}";
}
