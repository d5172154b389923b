using System.Buffers.Binary;

namespace Zvonim.Media.Srtp;

/// <summary>
/// One direction of one SRTP session, for every SSRC in that direction: a context made from our write keys
/// protects what we send, one made from the peer's write keys unprotects what we receive.
/// </summary>
/// <remarks>
/// <para>Not thread-safe: one thread at a time per context (the transport's receive loop, or the one sender). It
/// reuses its cipher objects and scratch buffers, so protecting and unprotecting allocate nothing once a stream's
/// state exists.</para>
/// <para>Per SSRC it keeps the rollover counter, a 64-packet replay window for SRTP and one for SRTCP, and the next
/// SRTCP index. At most <c>maxSsrcs</c> SSRCs are tracked; a packet from a further SSRC is refused, and an SSRC only
/// takes a place once one of its packets has authenticated, so forged packets cannot fill the table.</para>
/// <para>Retransmissions are allowed on send: a sequence number already sent is protected again under its old
/// index. That is safe only for the same bytes, so the sender must never put different content under an SSRC and
/// sequence number it has already used.</para>
/// </remarks>
public sealed class SrtpContext : IDisposable
{
    /// <summary>The most a protected packet grows: a GCM tag and the SRTCP index.</summary>
    public const int MaxOverhead = 16 + 4;

    public const int DefaultMaxSsrcs = 64;

    private const int RtcpHeaderLength = 8;

    private readonly SrtpTransform _rtp;
    private readonly SrtpTransform _rtcp;
    private readonly Dictionary<uint, SrtpStreamState> _streams;
    private readonly int _maxSsrcs;
    private bool _disposed;

    /// <param name="maxSsrcs">
    /// How many SSRCs this context tracks. A send context towards a subscriber of a large room may need more than
    /// the default.
    /// </param>
    public SrtpContext(SrtpProfile profile, SrtpMasterKeys master, int maxSsrcs = DefaultMaxSsrcs)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSsrcs, 1);
        var (rtp, rtcp) = SrtpSessionKeys.Derive(profile, master);
        try
        {
            _rtp = SrtpTransform.Create(profile, rtp);
            _rtcp = SrtpTransform.Create(profile, rtcp);
        }
        finally
        {
            rtp.Clear();
            rtcp.Clear();
        }

        Profile = profile;
        _maxSsrcs = maxSsrcs;
        _streams = new Dictionary<uint, SrtpStreamState>(Math.Min(maxSsrcs, DefaultMaxSsrcs));
    }

    /// <summary>Straight from session keys, skipping the key derivation: for the RFC 7714 vectors, which give those.</summary>
    internal SrtpContext(SrtpProfile profile, SrtpSessionKeys rtp, SrtpSessionKeys rtcp, int maxSsrcs = DefaultMaxSsrcs)
    {
        Profile = profile;
        _rtp = SrtpTransform.Create(profile, rtp);
        _rtcp = SrtpTransform.Create(profile, rtcp);
        _maxSsrcs = maxSsrcs;
        _streams = new Dictionary<uint, SrtpStreamState>(Math.Min(maxSsrcs, DefaultMaxSsrcs));
    }

    public SrtpProfile Profile { get; }

    /// <summary>How many SSRCs have state here.</summary>
    public int SsrcCount => _streams.Count;

    /// <summary>
    /// Encrypts and tags the RTP packet in <c>packet[..length]</c> in place. <paramref name="packet"/> must have room
    /// for <see cref="MaxOverhead"/> more bytes. Returns the protected length.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is not RTP, or there is no room for the tag: a caller's bug.</exception>
    /// <exception cref="InvalidOperationException">Its SSRC would be one more than this context tracks, or its
    /// sequence number is from before the stream's first packet (see <see cref="TryProtectRtp"/>).</exception>
    public int ProtectRtp(Span<byte> packet, int length) =>
        TryProtectRtp(packet, length, out var protectedLength)
            ? protectedLength
            : throw new InvalidOperationException("The RTP packet is from before its stream's first packet: it has no index to be sent under.");

    /// <summary>
    /// As <see cref="ProtectRtp"/>, but false, leaving the stream's state as it was, for a packet that cannot be sent:
    /// its sequence number reads as from before the first one sent under its SSRC (a forwarder sees that when a
    /// subscription starts just after the publisher's sequence numbers wrapped and a packet from before the wrap
    /// comes late). The caller drops it.
    /// </summary>
    public bool TryProtectRtp(Span<byte> packet, int length, out int protectedLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)length > (uint)packet.Length || !SrtpPacketLayout.TryGetLength(packet[..length], out var headerLength))
            throw new ArgumentException("Not an RTP packet.", nameof(packet));
        if (packet.Length - length < _rtp.RtpTrailerLength)
            throw new ArgumentException("No room after the packet for the SRTP tag.", nameof(packet));

        var ssrc = SrtpPacketLayout.Ssrc(packet);
        protectedLength = 0;
        if (!SendState(ssrc).TrySendIndex(SrtpPacketLayout.SequenceNumber(packet), out var index)) return false;
        protectedLength = _rtp.ProtectRtp(packet, headerLength, length, ssrc, index);
        return true;
    }

    /// <summary>
    /// Authenticates and decrypts the SRTP packet in <c>packet[..protectedLength]</c> in place. False, without
    /// throwing, for anything malformed, forged, replayed, too old for the replay window or from an SSRC beyond the
    /// limit; such a packet leaves the rollover counter and replay window as they were, though the bytes in
    /// <paramref name="packet"/> are then unspecified (GCM wipes what it could not authenticate).
    /// </summary>
    public bool TryUnprotectRtp(Span<byte> packet, int protectedLength, out int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        length = 0;
        var tagLength = _rtp.RtpTrailerLength;
        if ((uint)protectedLength > (uint)packet.Length || protectedLength < SrtpPacketLayout.FixedLength + tagLength)
            return false;
        if (!SrtpPacketLayout.TryGetLength(packet[..(protectedLength - tagLength)], out var headerLength))
            return false;

        var ssrc = SrtpPacketLayout.Ssrc(packet);
        if (!TryFindReceiveState(ssrc, out var state)) return false;
        var index = SrtpStreamState.ReceiveIndex(state, SrtpPacketLayout.SequenceNumber(packet));
        if (index > SrtpStreamState.MaxRtpIndex || (state is not null && !state.RtpReceived.IsFresh(index)))
            return false;
        if (!_rtp.TryUnprotectRtp(packet, headerLength, protectedLength, ssrc, index, out length))
        {
            length = 0;
            return false;
        }

        (state ?? AddState(ssrc)).RtpReceived.Accept(index);
        return true;
    }

    /// <summary>
    /// Encrypts and tags the (compound) RTCP packet in <c>packet[..length]</c> in place, under the next SRTCP index
    /// of its first packet's sender SSRC. <paramref name="packet"/> must have room for <see cref="MaxOverhead"/> more
    /// bytes. Returns the protected length.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is not RTCP, or there is no room for the trailer.</exception>
    /// <exception cref="InvalidOperationException">Its SSRC would be one more than this context tracks.</exception>
    public int ProtectRtcp(Span<byte> packet, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)length > (uint)packet.Length || length < RtcpHeaderLength || packet[0] >> 6 != 2)
            throw new ArgumentException("Not an RTCP packet.", nameof(packet));
        if (packet.Length - length < _rtcp.RtcpTrailerLength)
            throw new ArgumentException("No room after the packet for the SRTCP trailer.", nameof(packet));

        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        var index = SendState(ssrc).NextRtcpIndex();
        return _rtcp.ProtectRtcp(packet, length, ssrc, index);
    }

    /// <summary>
    /// Authenticates and decrypts the SRTCP packet in <c>packet[..protectedLength]</c> in place; false, without
    /// throwing, on the same grounds as <see cref="TryUnprotectRtp"/>. A packet its sender chose not to encrypt
    /// (E flag clear) is accepted once authenticated.
    /// </summary>
    public bool TryUnprotectRtcp(Span<byte> packet, int protectedLength, out int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        length = 0;
        if ((uint)protectedLength > (uint)packet.Length
            || protectedLength < RtcpHeaderLength + _rtcp.RtcpTrailerLength
            || packet[0] >> 6 != 2)
            return false;

        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        var word = BinaryPrimitives.ReadUInt32BigEndian(packet[_rtcp.RtcpIndexOffset(protectedLength)..]);
        long index = word & ~SrtpTransform.EncryptedFlag;
        if (!TryFindReceiveState(ssrc, out var state)) return false;
        if (state is not null && !state.RtcpReceived.IsFresh(index)) return false;
        if (!_rtcp.TryUnprotectRtcp(packet, protectedLength, ssrc, word, out length))
        {
            length = 0;
            return false;
        }

        (state ?? AddState(ssrc)).RtcpReceived.Accept(index);
        return true;
    }

    /// <summary>
    /// Frees what is kept for <paramref name="ssrc"/>, making room for another SSRC. Its rollover counter and indices
    /// are forgotten with it: a send context must never protect under this SSRC again (it would start again at ROC 0
    /// and reuse a keystream), and a receive context would take its packets as a new stream's.
    /// </summary>
    public void Forget(uint ssrc)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _streams.Remove(ssrc);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    private SrtpStreamState SendState(uint ssrc)
    {
        if (_streams.TryGetValue(ssrc, out var state)) return state;
        if (_streams.Count >= _maxSsrcs)
            throw new InvalidOperationException($"This SRTP context already tracks its limit of {_maxSsrcs} SSRCs.");
        return AddState(ssrc);
    }

    // False when the SSRC is new and there is no room for it; a new SSRC is only added after authentication.
    private bool TryFindReceiveState(uint ssrc, out SrtpStreamState? state) =>
        _streams.TryGetValue(ssrc, out state) || _streams.Count < _maxSsrcs;

    private SrtpStreamState AddState(uint ssrc)
    {
        var state = new SrtpStreamState();
        _streams.Add(ssrc, state);
        return state;
    }
}
