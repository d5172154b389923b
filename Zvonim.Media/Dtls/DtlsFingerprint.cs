using System.Security.Cryptography;

namespace Zvonim.Media.Dtls;

/// <summary>
/// Certificate fingerprints as SDP carries them (RFC 8122 §5, <c>a=fingerprint:sha-256 AB:CD:...</c>). WebRTC
/// authenticates a DTLS peer by nothing else: no CA, no name, no validity period, only that the certificate it
/// presents hashes to what its signalled SDP promised.
/// </summary>
internal static class DtlsFingerprint
{
    public const string Algorithm = "sha-256";

    private const int HashLength = 32;

    /// <summary>The uppercase, colon-separated SHA-256 of a DER certificate, as an SDP answer carries it.</summary>
    public static string Format(ReadOnlySpan<byte> der)
    {
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(der, hash);
        return string.Join(':', Convert.ToHexString(hash).Chunk(2).Select(pair => new string(pair)));
    }

    /// <summary>The hash bytes from <c>sha-256 AB:CD:...</c> or from the hex alone (colons optional, any case).
    /// Only SHA-256 is accepted: every browser offers it, and a weaker hash would weaken the pinning.</summary>
    /// <exception cref="ArgumentException">Not a SHA-256 fingerprint.</exception>
    public static byte[] Parse(string text, string paramName)
    {
        ArgumentNullException.ThrowIfNull(text, paramName);
        var value = text.Trim();
        var space = value.IndexOf(' ');
        if (space >= 0)
        {
            var algorithm = value[..space];
            if (!algorithm.Equals(Algorithm, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Only {Algorithm} fingerprints are supported, not '{algorithm}'.", paramName);
            value = value[(space + 1)..].Trim();
        }
        var hex = value.Replace(":", "", StringComparison.Ordinal);
        if (hex.Length != 2 * HashLength || !hex.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"Not a {Algorithm} fingerprint: '{text}'.", paramName);
        return Convert.FromHexString(hex);
    }

    /// <summary>Whether a DER certificate hashes to the expected fingerprint. Constant-time, so that a peer probing
    /// with certificates learns nothing from how long a refusal takes.</summary>
    public static bool Matches(ReadOnlySpan<byte> der, ReadOnlySpan<byte> expected)
    {
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(der, hash);
        return CryptographicOperations.FixedTimeEquals(hash, expected);
    }
}
