namespace Zvonim.Media.Sdp;

/// <summary>
/// One payload type of a media section: its a=rtpmap (name, clock rate, channels), a=fmtp parameters as written,
/// and its a=rtcp-fb values ("nack", "nack pli", "ccm fir", …).
/// </summary>
/// <param name="Channels">Audio channels when the rtpmap names them ("opus/48000/2"), else null.</param>
/// <param name="Fmtp">The a=fmtp value after the payload type, untouched ("minptime=10;useinbandfec=1").</param>
public sealed record Codec(int PayloadType, string Name, int ClockRate, int? Channels = null, string? Fmtp = null)
{
    public IReadOnlyList<string> RtcpFeedback { get; init; } = [];

    /// <summary>The a=rtpmap value after the payload type: "opus/48000/2", "VP8/90000".</summary>
    public string RtpMap => Channels is { } channels ? $"{Name}/{ClockRate}/{channels}" : $"{Name}/{ClockRate}";

    /// <summary>One fmtp parameter's value (names compare without case), or null.</summary>
    public string? Parameter(string name)
    {
        if (Fmtp is null) return null;
        foreach (var part in Fmtp.Split(';'))
        {
            var equals = part.IndexOf('=');
            if (equals < 0) continue;
            if (part.AsSpan(0, equals).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return part[(equals + 1)..].Trim();
        }
        return null;
    }

    public bool Is(string name) => Name.Equals(name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Equal when every field is, feedback compared item by item (a record would compare the lists by
    /// reference).</summary>
    public bool Equals(Codec? other) =>
        other is not null && PayloadType == other.PayloadType && Name == other.Name && ClockRate == other.ClockRate &&
        Channels == other.Channels && Fmtp == other.Fmtp && RtcpFeedback.SequenceEqual(other.RtcpFeedback);

    public override int GetHashCode() => HashCode.Combine(PayloadType, Name, ClockRate, Channels, Fmtp, RtcpFeedback.Count);

    public override string ToString() => $"{PayloadType} {RtpMap}" + (Fmtp is null ? "" : $" {Fmtp}");
}
