using System.Security.Cryptography;

namespace Zvonim.Media.Dtls;

/// <summary>
/// A certificate fingerprint as SDP carries it (RFC 8122 §5, <c>a=fingerprint:sha-256 AB:CD:...</c>): the hash
/// function's name and the hash. WebRTC authenticates a DTLS peer by nothing else: no CA, no name, no validity
/// period, only that the certificate it presents hashes to what its signalled SDP promised.
/// </summary>
internal sealed class DtlsFingerprint
{
    /// <summary>What the server announces its own certificate with, and what a bare hex value is taken for.</summary>
    public const string Sha256 = "sha-256";

    private readonly byte[] _hash;

    private DtlsFingerprint(string algorithm, byte[] hash)
    {
        Algorithm = algorithm;
        _hash = hash;
    }

    /// <summary>The hash function's name, lower-case: one of <see cref="CertificateHashes.Names"/>.</summary>
    public string Algorithm { get; }

    /// <summary>The uppercase, colon-separated SHA-256 of a DER certificate, as an SDP answer carries it.</summary>
    public static string Format(ReadOnlySpan<byte> der)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(der, hash);
        return string.Join(':', Convert.ToHexString(hash).Chunk(2).Select(pair => new string(pair)));
    }

    /// <summary>A fingerprint from <c>sha-256 AB:CD:...</c> (any hash function on <see cref="CertificateHashes"/>'s
    /// list) or from the hex alone, taken as SHA-256 (colons optional, any case).</summary>
    /// <exception cref="ArgumentException">Not a fingerprint under a hash function the server knows.</exception>
    public static DtlsFingerprint Parse(string text, string paramName)
    {
        ArgumentNullException.ThrowIfNull(text, paramName);
        var value = text.Trim();
        var algorithm = Sha256;
        var space = value.IndexOf(' ');
        if (space >= 0)
        {
            algorithm = value[..space].ToLowerInvariant();
            value = value[(space + 1)..].Trim();
        }
        if (CertificateHashes.Length(algorithm) is not { } length)
            throw new ArgumentException($"Fingerprints under '{algorithm}' are not supported, only {string.Join(", ", CertificateHashes.Names)}.", paramName);
        var hex = value.Replace(":", "", StringComparison.Ordinal);
        if (hex.Length != 2 * length || !hex.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"Not a {algorithm} fingerprint: '{text}'.", paramName);
        return new DtlsFingerprint(algorithm, Convert.FromHexString(hex));
    }

    /// <summary>Whether a DER certificate hashes to this fingerprint. Constant-time, so that a peer probing with
    /// certificates learns nothing from how long a refusal takes.</summary>
    public bool Matches(ReadOnlySpan<byte> der) =>
        CryptographicOperations.FixedTimeEquals(CertificateHashes.Compute(Algorithm, der)!, _hash);
}
