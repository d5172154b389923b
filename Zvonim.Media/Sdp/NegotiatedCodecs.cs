namespace Zvonim.Media.Sdp;

/// <summary>
/// What one browser has agreed to per kind: the codecs (under its payload type numbers) and the id of the mid
/// header extension. A section the server adds offers exactly these, so the browser sees payload types it already
/// uses and the SFU's payload-type rewriting stays one table per browser.
/// </summary>
public sealed record NegotiatedCodecs(IReadOnlyList<Codec> Audio, IReadOnlyList<Codec> Video, int MidExtensionId)
{
    /// <summary>Nothing negotiated yet: <see cref="CodecPreferences.DefaultAudio"/> and
    /// <see cref="CodecPreferences.DefaultVideo"/>.</summary>
    public static NegotiatedCodecs Default { get; } =
        new(CodecPreferences.DefaultAudio, CodecPreferences.DefaultVideo, CodecPreferences.DefaultMidExtensionId);

    public IReadOnlyList<Codec> For(MediaKind kind) => kind switch
    {
        MediaKind.Audio => Audio,
        MediaKind.Video => Video,
        _ => [],
    };

    /// <summary>
    /// The codecs of the first live audio and video sections of a negotiated description (the server's answer, or
    /// the browser's answer to a server offer). A kind the browser has not used gets the defaults, without any
    /// whose payload type the browser already uses for something else: under BUNDLE a payload type means one
    /// codec across all sections. A browser's answer goes through <see cref="CodecPreferences.Negotiate"/> again, so
    /// feedback it added is dropped.
    /// </summary>
    public static NegotiatedCodecs From(SessionDescription description)
    {
        var live = description.Media.Where(m => !m.IsRejected && m.Codecs.Count > 0).ToList();
        var taken = live.SelectMany(m => m.Codecs).ToList();
        IReadOnlyList<Codec> Pick(MediaKind kind) =>
            (live.FirstOrDefault(m => m.Kind == kind) is { } section ? CodecPreferences.Negotiate(kind, section.Codecs) : null)
            ?? CodecPreferences.Defaults(kind)
                .Where(d => !taken.Exists(t => t.PayloadType == d.PayloadType && !CodecPreferences.SameFormat(t, d)))
                .ToList();
        var midId = live.Select(m => m.ExtensionId(HeaderExtension.SdesMid)).FirstOrDefault(id => id is not null);
        return new NegotiatedCodecs(Pick(MediaKind.Audio), Pick(MediaKind.Video), midId ?? CodecPreferences.DefaultMidExtensionId);
    }
}
