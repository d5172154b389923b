namespace Zvonim.Media.Srtp;

/// <summary>
/// The cryptographic half of SRTP for one set of session keys: it encrypts and authenticates a packet whose index
/// the caller has already settled. Keeping index bookkeeping out of here lets the RFC vectors, which give session
/// keys and indices, test the transforms directly. Implementations reuse scratch buffers: one thread at a time.
/// </summary>
internal abstract class SrtpTransform : IDisposable
{
    /// <summary>The E flag of the SRTCP trailer word (RFC 3711 §3.4): the packet's body is encrypted.</summary>
    public const uint EncryptedFlag = 0x8000_0000;

    /// <summary>How many bytes protection appends to an RTP packet.</summary>
    public abstract int RtpTrailerLength { get; }

    /// <summary>How many bytes protection appends to an RTCP packet (E||SRTCP index and tag).</summary>
    public abstract int RtcpTrailerLength { get; }

    /// <summary>Where the E||SRTCP index word sits in a protected RTCP packet: before the tag or after it.</summary>
    public abstract int RtcpIndexOffset(int protectedLength);

    /// <summary>Encrypts <c>packet[headerLength..length]</c> in place and appends the tag; returns the new length.</summary>
    /// <param name="index">The 48-bit packet index, ROC * 2^16 + SEQ.</param>
    public abstract int ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, long index);

    /// <summary>Checks the tag and, only if it holds, decrypts in place; <paramref name="length"/> is the plain length.</summary>
    public abstract bool TryUnprotectRtp(
        Span<byte> packet, int headerLength, int protectedLength, uint ssrc, long index, out int length);

    /// <summary>Encrypts everything after the first 8 bytes and appends E||index and the tag; returns the new length.</summary>
    public abstract int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint index);

    /// <summary>Checks the tag and decrypts in place when the E flag of <paramref name="indexWord"/> is set.</summary>
    public abstract bool TryUnprotectRtcp(
        Span<byte> packet, int protectedLength, uint ssrc, uint indexWord, out int length);

    public abstract void Dispose();

    public static SrtpTransform Create(SrtpProfile profile, SrtpSessionKeys keys) => profile switch
    {
        SrtpProfile.AesCm128HmacSha1_80 => new AesCmHmacSha1Transform(keys),
        SrtpProfile.AeadAes128Gcm => new AesGcmTransform(keys),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Not an SRTP protection profile Zvonim supports."),
    };
}
