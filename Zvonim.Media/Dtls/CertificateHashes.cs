using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Zvonim.Media.Dtls;

/// <summary>
/// The hash functions a certificate fingerprint may name (RFC 8122 §5: the IANA textual names, less md2 and md5,
/// which it forbids). The one list both the SDP offer's check and the DTLS handshake's go by: an offer is only
/// taken with a fingerprint the handshake can then verify.
/// </summary>
internal static class CertificateHashes
{
    public static IReadOnlyList<string> Names { get; } = ["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"];

    /// <summary>The hash's length in bytes for a name (lower-case) on the list, else null.</summary>
    public static int? Length(string name) => name switch
    {
        "sha-1" => 20,
        "sha-224" => 28,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => null,
    };

    /// <summary>The named hash of a DER certificate, or null for a name not on the list.</summary>
    public static byte[]? Compute(string name, ReadOnlySpan<byte> der) => name switch
    {
        "sha-1" => SHA1.HashData(der),
        "sha-224" => Sha224(der), // .NET has no SHA-224
        "sha-256" => SHA256.HashData(der),
        "sha-384" => SHA384.HashData(der),
        "sha-512" => SHA512.HashData(der),
        _ => null,
    };

    private static byte[] Sha224(ReadOnlySpan<byte> der)
    {
        var digest = new Sha224Digest();
        digest.BlockUpdate(der);
        var hash = new byte[digest.GetDigestSize()];
        digest.DoFinal(hash);
        return hash;
    }
}
