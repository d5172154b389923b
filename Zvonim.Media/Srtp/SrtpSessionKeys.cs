using System.Security.Cryptography;

namespace Zvonim.Media.Srtp;

/// <summary>
/// The session keys of one half (SRTP or SRTCP) of one direction. GCM has no separate authentication key, so
/// <see cref="AuthenticationKey"/> is empty for it.
/// </summary>
internal sealed record SrtpSessionKeys(byte[] EncryptionKey, byte[] Salt, byte[] AuthenticationKey)
{
    /// <summary>HMAC-SHA1's session key length, n_a = 160 bits (RFC 3711 §8.2).</summary>
    public const int HmacSha1KeyLength = 20;

    /// <summary>Derives the SRTP (labels 0, 1, 2) and SRTCP (labels 3, 4, 5) session keys of one direction.</summary>
    public static (SrtpSessionKeys Rtp, SrtpSessionKeys Rtcp) Derive(SrtpProfile profile, SrtpMasterKeys master)
    {
        var keyLength = SrtpProfiles.KeyLength(profile);
        var saltLength = SrtpProfiles.SaltLength(profile);
        if (master.Key.Length != keyLength)
            throw new ArgumentException($"{profile} needs a {keyLength}-byte master key.", nameof(master));
        if (master.Salt.Length != saltLength)
            throw new ArgumentException($"{profile} needs a {saltLength}-byte master salt.", nameof(master));

        var authLength = profile == SrtpProfile.AeadAes128Gcm ? 0 : HmacSha1KeyLength;
        using var prf = Aes.Create();
        prf.Key = master.Key;

        SrtpSessionKeys Half(byte encryption, byte authentication, byte salt)
        {
            var keys = new SrtpSessionKeys(new byte[keyLength], new byte[saltLength], new byte[authLength]);
            SrtpKeyDerivation.Derive(prf, master.Salt, encryption, keys.EncryptionKey);
            SrtpKeyDerivation.Derive(prf, master.Salt, salt, keys.Salt);
            if (authLength > 0) SrtpKeyDerivation.Derive(prf, master.Salt, authentication, keys.AuthenticationKey);
            return keys;
        }

        return (
            Half(SrtpKeyDerivation.RtpEncryption, SrtpKeyDerivation.RtpAuthentication, SrtpKeyDerivation.RtpSalt),
            Half(SrtpKeyDerivation.RtcpEncryption, SrtpKeyDerivation.RtcpAuthentication, SrtpKeyDerivation.RtcpSalt));
    }

    /// <summary>Wipes the keys once the cipher objects hold their own copies.</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(EncryptionKey);
        CryptographicOperations.ZeroMemory(Salt);
        CryptographicOperations.ZeroMemory(AuthenticationKey);
    }
}
