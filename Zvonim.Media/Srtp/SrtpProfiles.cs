namespace Zvonim.Media.Srtp;

/// <summary>The master key and salt sizes of each profile, which decide how DTLS's keying material is cut up.</summary>
public static class SrtpProfiles
{
    /// <summary>Master (and session) encryption key length in bytes.</summary>
    public static int KeyLength(SrtpProfile profile) => profile switch
    {
        SrtpProfile.AesCm128HmacSha1_80 => 16,
        SrtpProfile.AeadAes128Gcm => 16,
        _ => throw Unknown(profile),
    };

    /// <summary>Master (and session) salt length in bytes: 112 bits for AES-CM, 96 bits for GCM (RFC 7714 §12).</summary>
    public static int SaltLength(SrtpProfile profile) => profile switch
    {
        SrtpProfile.AesCm128HmacSha1_80 => 14,
        SrtpProfile.AeadAes128Gcm => 12,
        _ => throw Unknown(profile),
    };

    /// <summary>How many bytes to ask the DTLS exporter for ("EXTRACTOR-dtls_srtp"): both directions' keys and salts.</summary>
    public static int KeyingMaterialLength(SrtpProfile profile) => 2 * (KeyLength(profile) + SaltLength(profile));

    private static ArgumentOutOfRangeException Unknown(SrtpProfile profile) =>
        new(nameof(profile), profile, "Not an SRTP protection profile Zvonim supports.");
}
