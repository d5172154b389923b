namespace Zvonim.Media.Srtp;

/// <summary>Cuts DTLS's exported keying material into the two directions' master keys.</summary>
public static class DtlsSrtpKeys
{
    /// <summary>
    /// RFC 5764 §4.2 lays the material out as client_write_key | server_write_key | client_write_salt |
    /// server_write_salt. <paramref name="isServer"/> says which DTLS role we played: our write keys protect what we
    /// send (<c>Local</c>), the peer's write keys unprotect what we receive (<c>Remote</c>).
    /// </summary>
    public static (SrtpMasterKeys Local, SrtpMasterKeys Remote) Split(
        ReadOnlySpan<byte> keyingMaterial, SrtpProfile profile, bool isServer)
    {
        var keyLength = SrtpProfiles.KeyLength(profile);
        var saltLength = SrtpProfiles.SaltLength(profile);
        if (keyingMaterial.Length != SrtpProfiles.KeyingMaterialLength(profile))
        {
            // A length mismatch means the exporter was asked for the wrong profile: better to fail than to key
            // both directions with shifted bytes that would only show up as every packet failing authentication.
            throw new ArgumentException(
                $"{profile} needs {SrtpProfiles.KeyingMaterialLength(profile)} bytes of keying material, got {keyingMaterial.Length}.",
                nameof(keyingMaterial));
        }

        var client = new SrtpMasterKeys(
            keyingMaterial[..keyLength].ToArray(),
            keyingMaterial.Slice(2 * keyLength, saltLength).ToArray());
        var server = new SrtpMasterKeys(
            keyingMaterial.Slice(keyLength, keyLength).ToArray(),
            keyingMaterial.Slice(2 * keyLength + saltLength, saltLength).ToArray());
        return isServer ? (server, client) : (client, server);
    }
}
