using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Zvonim.Media.Srtp;

/// <summary>
/// AEAD_AES_128_GCM (RFC 7714) with the full 16-byte tag. One <see cref="GcmCipher"/> per key is reused; the nonce and
/// associated-data scratch buffers are too.
/// </summary>
internal sealed class AesGcmTransform : SrtpTransform
{
    public const int TagLength = 16;
    public const int NonceLength = 12;

    private readonly GcmCipher _aead;
    private readonly byte[] _salt;
    private readonly byte[] _nonce = new byte[NonceLength];
    private readonly byte[] _rtcpAad = new byte[12];
    private readonly byte[] _tag = new byte[TagLength];

    public AesGcmTransform(SrtpSessionKeys keys)
    {
        if (keys.Salt.Length != NonceLength) throw new ArgumentException("AES-GCM needs a 12-byte session salt.", nameof(keys));
        _aead = GcmCipher.Create(keys.EncryptionKey);
        _salt = (byte[])keys.Salt.Clone();
    }

    public override int RtpTrailerLength => TagLength;
    public override int RtcpTrailerLength => TagLength + 4;

    // RFC 7714 §9: | header | ciphertext | tag | E||SRTCP index |, the index after the tag.
    public override int RtcpIndexOffset(int protectedLength) => protectedLength - 4;

    /// <summary>
    /// RFC 7714 §8.1 and §9.1: (00 00 || SSRC || ROC || SEQ) XOR salt for RTP, (00 00 || SSRC || 00 00 || 0 || index)
    /// XOR salt for RTCP. Both are the SSRC and a 48-bit index, which is how the caller passes them.
    /// </summary>
    public static void BuildNonce(ReadOnlySpan<byte> salt, uint ssrc, long index, Span<byte> nonce)
    {
        nonce[0] = 0;
        nonce[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[6..], (ushort)(index >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], (uint)index);
        for (var i = 0; i < NonceLength; i++) nonce[i] ^= salt[i];
    }

    public override int ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, long index)
    {
        BuildNonce(_salt, ssrc, index, _nonce);
        var payload = packet[headerLength..length];
        _aead.Encrypt(_nonce, payload, packet.Slice(length, TagLength), packet[..headerLength]);
        return length + TagLength;
    }

    public override bool TryUnprotectRtp(
        Span<byte> packet, int headerLength, int protectedLength, uint ssrc, long index, out int length)
    {
        length = protectedLength - TagLength;
        BuildNonce(_salt, ssrc, index, _nonce);
        var payload = packet[headerLength..length];
        return TryDecrypt(payload, packet.Slice(length, TagLength), packet[..headerLength]);
    }

    public override int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint index)
    {
        BuildNonce(_salt, ssrc, index, _nonce);
        var word = EncryptedFlag | index;
        SetRtcpAad(packet, word);
        var body = packet[8..length];
        _aead.Encrypt(_nonce, body, packet.Slice(length, TagLength), _rtcpAad);
        BinaryPrimitives.WriteUInt32BigEndian(packet[(length + TagLength)..], word);
        return length + TagLength + 4;
    }

    public override bool TryUnprotectRtcp(
        Span<byte> packet, int protectedLength, uint ssrc, uint indexWord, out int length)
    {
        length = protectedLength - TagLength - 4;
        BuildNonce(_salt, ssrc, indexWord & ~EncryptedFlag, _nonce);
        if ((indexWord & EncryptedFlag) != 0)
        {
            // §9.3: the AAD is the first 8 bytes and the E||index word, which the wire does not keep together.
            SetRtcpAad(packet, indexWord);
            return TryDecrypt(packet[8..length], packet.Slice(length, TagLength), _rtcpAad);
        }

        // §9.4, unencrypted: the whole packet and then the index word are AAD. Moving the tag out of the way and
        // the word up against the packet makes that one span without copying the packet.
        packet.Slice(length, TagLength).CopyTo(_tag);
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], indexWord);
        return TryDecrypt([], _tag, packet[..(length + 4)]);
    }

    public override void Dispose()
    {
        CryptographicOperations.ZeroMemory(_salt);
        _aead.Dispose();
    }

    private void SetRtcpAad(ReadOnlySpan<byte> packet, uint word)
    {
        packet[..8].CopyTo(_rtcpAad);
        BinaryPrimitives.WriteUInt32BigEndian(_rtcpAad.AsSpan(8), word);
    }

    private bool TryDecrypt(Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad) => _aead.TryDecrypt(_nonce, data, tag, aad);
}
