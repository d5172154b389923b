namespace Zvonim.Media.Sdp;

/// <summary>
/// A track the server sends to this browser: another participant's media, forwarded. Its ids and SSRC are the
/// server's choice for this browser (they appear in its a=msid and a=ssrc lines and in ontrack); ids are at most 64
/// visible ASCII characters, as RFC 8830 allows.
/// </summary>
/// <param name="Codec">The format the media is encoded in (its payload type is the sender's and is ignored): the
/// section it goes in must have a codec of the same format (<see cref="CodecPreferences.SameFormat"/>).</param>
public sealed record LocalTrack(MediaKind Kind, string StreamId, string TrackId, uint Ssrc, string Cname, Codec Codec)
{
    /// <summary>Why this track cannot be written into SDP, or null.</summary>
    internal string? Problem()
    {
        if (Kind is not (MediaKind.Audio or MediaKind.Video)) return $"track {TrackId}: only audio and video can be sent";
        if (!IsId(StreamId) || !IsId(TrackId) || !IsId(Cname))
            return $"track {TrackId}: stream id, track id and cname must be 1-64 visible ASCII characters";
        return null;
    }

    private static bool IsId(string? text) => text is { Length: > 0 and <= 64 } && text.All(c => c is > ' ' and <= '~');
}

/// <summary>
/// One section the server sends on, or means to. With a <see cref="Mid"/> it names an existing section: with a
/// <see cref="Track"/> the server sends it there, without one the section is freed. Without a mid it asks for a
/// section for a new track: an inactive one of the same kind is reused first, else one is added.
/// </summary>
public sealed record SenderSlot(string? Mid, MediaKind Kind, LocalTrack? Track)
{
    /// <summary>A new track, in whatever section the builder finds for it.</summary>
    public static SenderSlot New(LocalTrack track) => new(null, track.Kind, track);

    /// <summary>A track that already has its section.</summary>
    public static SenderSlot At(string mid, LocalTrack track) => new(mid, track.Kind, track);
}

/// <summary>Where a track ended up: its section, and the codec it goes out as in this browser's payload type
/// numbering (the SFU rewrites forwarded packets to <c>Codec.PayloadType</c>).</summary>
public sealed record SenderBinding(string Mid, LocalTrack Track, Codec Codec);
