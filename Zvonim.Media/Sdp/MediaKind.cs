namespace Zvonim.Media.Sdp;

/// <summary>What a media section carries, from the first word of its m= line.</summary>
public enum MediaKind
{
    Audio,
    Video,

    /// <summary>Data channels (SCTP). The SFU does not do them, so such sections are always rejected.</summary>
    Application,

    /// <summary>Anything else (text, message, …): kept in the model only so the answer can reject it in place.</summary>
    Other,
}

public static class MediaKinds
{
    /// <summary>The kind of an m= line's media word; unknown words are <see cref="MediaKind.Other"/>.</summary>
    public static MediaKind Parse(string media) => media switch
    {
        "audio" => MediaKind.Audio,
        "video" => MediaKind.Video,
        "application" => MediaKind.Application,
        _ => MediaKind.Other,
    };

    /// <summary>The m= line word for audio and video (the only kinds the server ever creates a section for).</summary>
    public static string ToSdp(this MediaKind kind) => kind switch
    {
        MediaKind.Audio => "audio",
        MediaKind.Video => "video",
        MediaKind.Application => "application",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no m= word for an unknown kind"),
    };
}
