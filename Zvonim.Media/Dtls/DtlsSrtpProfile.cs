using Org.BouncyCastle.Tls;

namespace Zvonim.Media.Dtls;

/// <summary>
/// The SRTP protection profiles this server negotiates in DTLS's use_srtp extension (RFC 5764 §4.1.2, RFC 7714
/// §14.2), and how much keying material each takes from the DTLS exporter.
/// </summary>
public static class DtlsSrtpProfile
{
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_80: every WebRTC endpoint must support it.</summary>
    public const int AesCm128HmacSha1_80 = SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80;

    /// <summary>SRTP_AEAD_AES_128_GCM: cheaper (one AES-GCM pass, no HMAC) and offered by Chromium.</summary>
    public const int AeadAes128Gcm = SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM;

    public static int MasterKeyLength(int profile) => profile switch
    {
        AesCm128HmacSha1_80 or AeadAes128Gcm => 16,
        _ => throw Unsupported(profile),
    };

    /// <summary>112 bits for AES-CM (RFC 3711 §8.2), 96 for AES-GCM (RFC 7714 §12).</summary>
    public static int MasterSaltLength(int profile) => profile switch
    {
        AesCm128HmacSha1_80 => 14,
        AeadAes128Gcm => 12,
        _ => throw Unsupported(profile),
    };

    /// <summary>The length to export with the EXTRACTOR-dtls_srtp label: a key and a salt for each direction.</summary>
    public static int KeyingMaterialLength(int profile) => 2 * (MasterKeyLength(profile) + MasterSaltLength(profile));

    private static ArgumentOutOfRangeException Unsupported(int profile) =>
        new(nameof(profile), profile, "Not an SRTP protection profile this server negotiates.");
}
