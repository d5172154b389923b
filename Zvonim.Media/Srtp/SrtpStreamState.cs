namespace Zvonim.Media.Srtp;

/// <summary>
/// What one SSRC needs remembered between packets: the highest RTP index sent or accepted (its upper 32 bits are
/// the rollover counter), the receive replay windows, and the next SRTCP index to send.
/// </summary>
internal sealed class SrtpStreamState
{
    /// <summary>SRTP indices are 48 bits (RFC 3711 §3.3.1); the keys must change before they run out.</summary>
    public const long MaxRtpIndex = (1L << 48) - 1;

    /// <summary>SRTCP indices are 31 bits (RFC 3711 §3.4).</summary>
    public const long MaxRtcpIndex = (1L << 31) - 1;

    public ReplayWindow RtpReceived;
    public ReplayWindow RtcpReceived;

    /// <summary>Highest RTP index protected so far, or -1 before the first packet.</summary>
    public long RtpSentHighest = -1;

    /// <summary>The SRTCP index for the next packet sent: zero first (RFC 3711 §3.4).</summary>
    public long RtcpSentNext;

    /// <summary>
    /// RFC 3711 Appendix A: the index v * 2^16 + SEQ whose ROC v is the one of ROC - 1, ROC, ROC + 1 that puts SEQ
    /// nearest to the highest index seen. On receipt a guess below zero can only come from a sender that started with
    /// a large gap, so it is taken as ROC 0; authentication settles whether the guess was right.
    /// </summary>
    public static long EstimateIndex(long highest, ushort seq) => (Math.Max(Nearest(highest, seq) >> 16, 0) << 16) | seq;

    /// <summary>The same guess unclamped: below zero when SEQ reads as from before ROC 0.</summary>
    private static long Nearest(long highest, ushort seq)
    {
        var roc = highest >> 16;
        var last = (int)(highest & 0xFFFF);
        var v = roc;
        if (last < 0x8000)
        {
            if (seq - last > 0x8000) v = roc - 1;
        }
        else if (last - 0x8000 > seq)
        {
            v = roc + 1;
        }

        return (v << 16) | seq;
    }

    /// <summary>The index to receive <paramref name="seq"/> under: ROC 0 for the stream's first packet.</summary>
    public static long ReceiveIndex(SrtpStreamState? state, ushort seq) =>
        state is { RtpReceived.Started: true } ? EstimateIndex(state.RtpReceived.Highest, seq) : seq;

    /// <summary>
    /// The index to send <paramref name="seq"/> under. A sequence number behind the highest (a retransmission, or a
    /// forwarded packet that came late) reuses its old index and leaves the ROC alone; the sender's own ROC only moves
    /// forward. False, with nothing changed, for one that reads as from before the stream's first packet (ROC - 1):
    /// a forwarder whose first copy came just after the publisher's wrap gets the late ones from before it. The
    /// receiver has no index for those: sent under ROC 0 it drops them, and the ROC the next packet then went out
    /// under would be one ahead of the receiver's, failing everything after.
    /// </summary>
    public bool TrySendIndex(ushort seq, out long index)
    {
        index = RtpSentHighest < 0 ? seq : Nearest(RtpSentHighest, seq);
        if (index < 0) return false;
        if (index > MaxRtpIndex)
            throw new InvalidOperationException("The SRTP packet index is exhausted; the stream must be rekeyed.");
        if (index > RtpSentHighest) RtpSentHighest = index;
        return true;
    }

    /// <summary>Takes the next SRTCP index, refusing to wrap: a wrapped index would reuse a keystream.</summary>
    public uint NextRtcpIndex()
    {
        if (RtcpSentNext > MaxRtcpIndex)
            throw new InvalidOperationException("The SRTCP index is exhausted; the stream must be rekeyed.");
        return (uint)RtcpSentNext++;
    }
}
