namespace Zvonim.Media.Srtp;

/// <summary>
/// The SRTP protection profiles Zvonim offers. The values are the DTLS-SRTP protection profile ids (RFC 5764 §4.1.2,
/// RFC 7714 §14.2), so the value negotiated in the DTLS use_srtp extension casts straight to this enum.
/// </summary>
public enum SrtpProfile
{
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_80: AES counter mode and an 80-bit HMAC-SHA1 tag (RFC 3711).</summary>
    AesCm128HmacSha1_80 = 1,

    /// <summary>SRTP_AEAD_AES_128_GCM: AES-GCM with a 16-byte tag (RFC 7714).</summary>
    AeadAes128Gcm = 7,
}
