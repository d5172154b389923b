namespace Zvonim.Media.Dtls;

/// <summary>
/// What a completed DTLS-SRTP handshake gives SRTP: the protection profile chosen (a <see cref="DtlsSrtpProfile"/>
/// value: 1 = AES128_CM_HMAC_SHA1_80, 7 = AEAD_AES_128_GCM), the exported keying material, and the DTLS cipher
/// suite's name (for logs).
/// </summary>
/// <param name="KeyingMaterial">RFC 5764 §4.2: client master key | server master key | client master salt |
/// server master salt. The client's key and salt protect what the browser sends; the server's what it receives.</param>
public sealed record DtlsResult(int SrtpProfile, byte[] KeyingMaterial, string CipherSuite)
{
    // Methods rather than properties: a record prints its properties, and these would throw for a record made
    // with an unknown profile.
    public ReadOnlyMemory<byte> ClientMasterKey() => KeyingMaterial.AsMemory(0, KeyLength);

    public ReadOnlyMemory<byte> ServerMasterKey() => KeyingMaterial.AsMemory(KeyLength, KeyLength);

    public ReadOnlyMemory<byte> ClientMasterSalt() => KeyingMaterial.AsMemory(2 * KeyLength, SaltLength);

    public ReadOnlyMemory<byte> ServerMasterSalt() => KeyingMaterial.AsMemory(2 * KeyLength + SaltLength, SaltLength);

    private int KeyLength => DtlsSrtpProfile.MasterKeyLength(SrtpProfile);

    private int SaltLength => DtlsSrtpProfile.MasterSaltLength(SrtpProfile);
}
