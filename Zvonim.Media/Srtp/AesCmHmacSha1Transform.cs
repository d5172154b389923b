using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Zvonim.Media.Srtp;

/// <summary>
/// AES_CM_128_HMAC_SHA1_80 (RFC 3711): AES counter mode for confidentiality, then an 80-bit HMAC-SHA1 tag over the
/// encrypted packet. Authentication is checked before anything is decrypted.
/// </summary>
internal sealed class AesCmHmacSha1Transform : SrtpTransform
{
    public const int TagLength = 10;
    public const int SaltLength = 14;

    private readonly AesCounterMode _cipher;
    private readonly IncrementalHash _hmac;
    private readonly byte[] _salt;
    private readonly byte[] _iv = new byte[AesCounterMode.BlockLength];
    private readonly byte[] _mac = new byte[20];
    private readonly byte[] _roc = new byte[4];

    public AesCmHmacSha1Transform(SrtpSessionKeys keys)
    {
        if (keys.Salt.Length != SaltLength) throw new ArgumentException("AES-CM needs a 14-byte session salt.", nameof(keys));
        _cipher = new AesCounterMode(keys.EncryptionKey);
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, keys.AuthenticationKey);
        _salt = (byte[])keys.Salt.Clone();
    }

    public override int RtpTrailerLength => TagLength;
    public override int RtcpTrailerLength => 4 + TagLength;

    // RFC 3711 §3.4: | packet | E||SRTCP index | tag |, the index being part of what the tag covers.
    public override int RtcpIndexOffset(int protectedLength) => protectedLength - TagLength - 4;

    /// <summary>RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).</summary>
    public static void BuildIv(ReadOnlySpan<byte> salt, uint ssrc, long index, Span<byte> iv)
    {
        iv[..16].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(iv[4..], ssrc);
        BinaryPrimitives.WriteUInt16BigEndian(iv[8..], (ushort)(index >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(iv[10..], (uint)index);
        for (var i = 0; i < SaltLength; i++) iv[i] ^= salt[i];
    }

    public override int ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, long index)
    {
        BuildIv(_salt, ssrc, index, _iv);
        _cipher.Apply(_iv, packet[headerLength..length]);
        ComputeRtpMac(packet[..length], index);
        _mac.AsSpan(0, TagLength).CopyTo(packet[length..]);
        return length + TagLength;
    }

    public override bool TryUnprotectRtp(
        Span<byte> packet, int headerLength, int protectedLength, uint ssrc, long index, out int length)
    {
        length = protectedLength - TagLength;
        ComputeRtpMac(packet[..length], index);
        if (!CryptographicOperations.FixedTimeEquals(_mac.AsSpan(0, TagLength), packet.Slice(length, TagLength)))
            return false;
        BuildIv(_salt, ssrc, index, _iv);
        _cipher.Apply(_iv, packet[headerLength..length]);
        return true;
    }

    public override int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint index)
    {
        BuildIv(_salt, ssrc, index, _iv);
        _cipher.Apply(_iv, packet[8..length]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], EncryptedFlag | index);
        ComputeMac(packet[..(length + 4)]);
        _mac.AsSpan(0, TagLength).CopyTo(packet[(length + 4)..]);
        return length + 4 + TagLength;
    }

    public override bool TryUnprotectRtcp(
        Span<byte> packet, int protectedLength, uint ssrc, uint indexWord, out int length)
    {
        var tagAt = protectedLength - TagLength;
        length = tagAt - 4;
        ComputeMac(packet[..tagAt]);
        if (!CryptographicOperations.FixedTimeEquals(_mac.AsSpan(0, TagLength), packet.Slice(tagAt, TagLength)))
            return false;
        if ((indexWord & EncryptedFlag) != 0)
        {
            BuildIv(_salt, ssrc, indexWord & ~EncryptedFlag, _iv);
            _cipher.Apply(_iv, packet[8..length]);
        }

        return true;
    }

    public override void Dispose()
    {
        CryptographicOperations.ZeroMemory(_salt);
        _cipher.Dispose();
        _hmac.Dispose();
    }

    // RFC 3711 §4.2: the RTP tag covers the packet followed by the ROC, which is never sent but must agree.
    private void ComputeRtpMac(ReadOnlySpan<byte> authenticated, long index)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_roc, (uint)(index >> 16));
        _hmac.AppendData(authenticated);
        _hmac.AppendData(_roc);
        _hmac.GetHashAndReset(_mac);
    }

    private void ComputeMac(ReadOnlySpan<byte> authenticated)
    {
        _hmac.AppendData(authenticated);
        _hmac.GetHashAndReset(_mac);
    }
}
