namespace Zvonim.Media.Rtp;

/// <summary>
/// Keeps the sequence numbers and timestamps of one forwarded stream (one SSRC towards one subscriber) continuous
/// while the packets it carries come from different sources: a subscriber that joins mid-stream, a switch to another
/// speaker or simulcast layer, a publisher that restarts. The receiver sees a single stream: no jump in sequence
/// numbers (which it would take for loss and NACK) and no jump back in timestamps (which its jitter buffer would take
/// for a very late frame).
/// </summary>
/// <remarks>
/// Each source segment maps by fixed offsets: outgoing = incoming + offset (mod 2^16 and 2^32). When a new source
/// starts, its first packet gets the sequence number after the highest one sent and a timestamp a fixed step after
/// the highest one sent. Reordered packets of the current source keep their place; a packet older than the start of
/// its segment is refused (its number would collide with the previous source's). Incoming sequence numbers are
/// extended past 16 bits, so wraparound is just counting. A jump within one source (more than
/// <see cref="MaxDropout"/> ahead or <see cref="MaxMisorder"/> back) is taken as a restart of its numbering once a
/// second packet follows on from it, as RFC 3550 Appendix A.1 does; the lone packet is dropped.
/// The caller passes only packets of the source it has selected: a packet of another SSRC starts a new segment, so a
/// late packet of the previous source must be filtered out before it gets here.
/// Not thread-safe: one instance per forwarded stream, used from the one loop that sends it.
/// </remarks>
public sealed class SequenceRewriter
{
    /// <summary>A jump further back than this within one source is a restart of its numbering, not reordering
    /// (RFC 3550 Appendix A.1's MAX_MISORDER).</summary>
    public const int MaxMisorder = 100;

    /// <summary>A jump further ahead than this within one source is a restart too (RFC 3550's MAX_DROPOUT): passing it
    /// through would make the receiver NACK thousands of packets that never existed.</summary>
    public const int MaxDropout = 3000;

    private bool _started;
    private uint _ssrc;
    private long _firstIn;
    private long _highestIn;
    private ushort _sequenceOffset;
    private uint _timestampOffset;
    private ushort _highestOut;
    private uint _highestOutTimestamp;
    private int _badSequence = -1;

    /// <param name="timestampStep">The timestamp gap put between the last packet sent and the first of a new source:
    /// about a frame in the stream's clock (3000 for 30 fps video at 90 kHz, 960 for 20 ms of Opus at 48 kHz).</param>
    public SequenceRewriter(uint timestampStep)
    {
        TimestampStep = timestampStep;
    }

    /// <summary>The step the next new segment starts with; a forwarder that knows how long the stream was silent
    /// (wall time × clock rate) may set it before passing the new source's first packet.</summary>
    public uint TimestampStep { get; set; }

    /// <summary>The source SSRC the stream currently carries (0 before the first packet).</summary>
    public uint SourceSsrc => _ssrc;

    /// <summary>What the current segment adds to the source's RTP timestamps: the RTP timestamp of a forwarded
    /// sender report must move by it too (<see cref="Rtcp.RtcpRewriter.AddToSenderReportTimestamp"/>).</summary>
    public uint TimestampOffset => _timestampOffset;

    /// <summary>Maps a packet of source <paramref name="ssrc"/> to the outgoing numbers; a new SSRC starts a new
    /// segment. False when the packet must be dropped (see the remarks).</summary>
    public bool TryRewrite(uint ssrc, ushort sequenceNumber, uint timestamp, out ushort outSequenceNumber, out uint outTimestamp)
    {
        if (!_started || ssrc != _ssrc) StartSegment(ssrc, sequenceNumber, timestamp);

        var extended = _highestIn + (short)(ushort)(sequenceNumber - (ushort)_highestIn);
        if (extended - _highestIn > MaxDropout || _highestIn - extended > MaxMisorder)
        {
            if (sequenceNumber != _badSequence)
            {
                _badSequence = (ushort)(sequenceNumber + 1);
                return Drop(out outSequenceNumber, out outTimestamp);
            }
            StartSegment(ssrc, sequenceNumber, timestamp);
            extended = _highestIn;
        }

        if (extended < _firstIn) return Drop(out outSequenceNumber, out outTimestamp);

        outSequenceNumber = (ushort)(extended + _sequenceOffset);
        outTimestamp = timestamp + _timestampOffset;
        if (extended >= _highestIn)
        {
            _highestIn = extended;
            _highestOut = outSequenceNumber;
            _highestOutTimestamp = outTimestamp;
        }
        return true;
    }

    /// <summary>Rewrites the sequence number and timestamp of the RTP packet in place (the SSRC is left to the caller,
    /// as it is the same for every packet of the stream). False, packet untouched, when it does not read as RTP or
    /// must be dropped.</summary>
    public bool TryRewrite(Span<byte> packet)
    {
        if (!RtpHeader.TryRead(packet, out var header)) return false;
        if (!TryRewrite(header.Ssrc, header.SequenceNumber, header.Timestamp, out var sequenceNumber, out var timestamp))
            return false;
        RtpRewriter.SetSequenceNumber(packet, sequenceNumber);
        RtpRewriter.SetTimestamp(packet, timestamp);
        return true;
    }

    /// <summary>The current source's sequence number for an outgoing one, e.g. to pass a subscriber's NACK on to the
    /// publisher. False when it was not sent from the current segment.</summary>
    public bool TryMapBack(ushort outSequenceNumber, out ushort sequenceNumber)
    {
        sequenceNumber = 0;
        if (!_started) return false;
        var firstOut = (ushort)(_firstIn + _sequenceOffset);
        var distance = (ushort)(outSequenceNumber - firstOut);
        if (distance > _highestIn - _firstIn) return false;
        sequenceNumber = (ushort)(outSequenceNumber - _sequenceOffset);
        return true;
    }

    private void StartSegment(uint ssrc, ushort sequenceNumber, uint timestamp)
    {
        if (_started)
        {
            _sequenceOffset = (ushort)(_highestOut + 1 - sequenceNumber);
            _timestampOffset = _highestOutTimestamp + TimestampStep - timestamp;
        }
        else
        {
            // The first source passes through unchanged: nothing was sent before it to be continuous with.
            _sequenceOffset = 0;
            _timestampOffset = 0;
            _started = true;
        }
        _ssrc = ssrc;
        // Extended numbers start a cycle up so a slightly reordered predecessor still compares as older.
        _firstIn = _highestIn = 0x10000 + sequenceNumber;
        _badSequence = -1;
    }

    private static bool Drop(out ushort outSequenceNumber, out uint outTimestamp)
    {
        outSequenceNumber = 0;
        outTimestamp = 0;
        return false;
    }
}
