using System.Globalization;

namespace Zvonim.Media.Sdp;

/// <summary>
/// The codecs, RTCP feedback and header extensions the SFU takes, and how it negotiates them with a browser.
/// The SFU forwards RTP without transcoding, so what it accepts is what every browser decodes: Opus, G.722, G.711,
/// VP8, VP9 profile 0 and H.264 in packetization mode 1. It keeps at most one payload type per codec, so that a
/// forwarded packet's payload type maps to exactly one payload type of each receiver.
/// </summary>
public static class CodecPreferences
{
    /// <summary>The feedback the SFU answers or relays. transport-cc and goog-remb are left out: the SFU does not
    /// generate those reports, and a browser told to expect them would stop adapting its bitrate.</summary>
    public static IReadOnlyList<string> SupportedFeedback { get; } = ["nack", "nack pli", "ccm fir"];

    private static readonly IReadOnlyList<string> VideoFeedback = SupportedFeedback;

    /// <summary>Used for audio when the browser has not offered any: Chromium's own payload types.</summary>
    public static IReadOnlyList<Codec> DefaultAudio { get; } =
    [
        new(111, "opus", 48000, 2, "minptime=10;useinbandfec=1"),
        new(9, "G722", 8000),
        new(0, "PCMU", 8000),
        new(8, "PCMA", 8000),
    ];

    /// <summary>Used for video when the browser has not offered any: Chromium's own payload types.</summary>
    public static IReadOnlyList<Codec> DefaultVideo { get; } =
    [
        new(96, "VP8", 90000) { RtcpFeedback = VideoFeedback },
        new(98, "VP9", 90000, null, "profile-id=0") { RtcpFeedback = VideoFeedback },
        new(108, "H264", 90000, null, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f") { RtcpFeedback = VideoFeedback },
    ];

    /// <summary>The mid extension's id when nothing has been negotiated yet (Chromium's choice).</summary>
    public const int DefaultMidExtensionId = 4;

    public static IReadOnlyList<Codec> Defaults(MediaKind kind) => kind switch
    {
        MediaKind.Audio => DefaultAudio,
        MediaKind.Video => DefaultVideo,
        _ => [],
    };

    /// <summary>
    /// The codecs of an offered section the SFU accepts, in the offerer's order (a browser sends with the first):
    /// the offerer's payload types and fmtp, feedback cut to <see cref="SupportedFeedback"/>. RTX, RED, ULPFEC, CN,
    /// telephone-event and codecs the SFU cannot forward to everyone are dropped; of several H.264 variants the
    /// constrained baseline one is kept (any browser decodes it), and of other duplicates the first.
    /// </summary>
    public static IReadOnlyList<Codec> Negotiate(MediaKind kind, IEnumerable<Codec> offered)
    {
        var best = new Dictionary<string, (Codec Codec, int Rank)>();
        var order = new List<Codec>();
        foreach (var codec in offered)
        {
            if (Family(kind, codec) is not { } family) continue;
            var rank = family == "H264" ? H264Rank(codec) : 0;
            if (best.TryGetValue(family, out var current) && current.Rank <= rank) continue;
            best[family] = (codec, rank);
            order.Add(codec);
        }
        return order
            .Where(c => ReferenceEquals(best[Family(kind, c)!].Codec, c))
            .Select(c => c with { RtcpFeedback = c.RtcpFeedback.Where(IsSupportedFeedback).ToList() })
            .ToList();
    }

    /// <summary>Only the mid extension, under the offerer's id: BUNDLE needs it to route packets before their
    /// SSRCs are known. The SFU neither reads nor writes the others.</summary>
    public static IReadOnlyList<HeaderExtension> NegotiateExtensions(IEnumerable<HeaderExtension> offered) =>
        offered.FirstOrDefault(e => e.Uri == HeaderExtension.SdesMid) is { } mid ? [mid] : [];

    public static bool IsSupported(MediaKind kind, Codec codec) => Family(kind, codec) is not null;

    public static bool IsSupportedFeedback(string feedback) =>
        SupportedFeedback.Contains(string.Join(' ', SdpParser.Words(feedback)), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether two codecs (of any payload types) carry the same bitstream format, so packets of one can be
    /// forwarded as the other: same codec, VP9 profile and H.264 profile (the level is left to
    /// level-asymmetry-allowed, which every browser offers).</summary>
    public static bool SameFormat(Codec a, Codec b)
    {
        // Every video codec runs at 90 kHz and no audio codec does.
        var kind = a.ClockRate == 90000 ? MediaKind.Video : MediaKind.Audio;
        var family = Family(kind, a);
        if (family is null || family != Family(kind, b)) return false;
        return family switch
        {
            "VP9" => (a.Parameter("profile-id") ?? "0") == (b.Parameter("profile-id") ?? "0"),
            "H264" => H264ProfileIdc(a) == H264ProfileIdc(b),
            _ => true,
        };
    }

    /// <summary>The codec of <paramref name="codecs"/> that carries <paramref name="format"/>'s format, or null.</summary>
    public static Codec? Find(IEnumerable<Codec> codecs, Codec format) => codecs.FirstOrDefault(c => SameFormat(c, format));

    /// <summary>A name for each codec the SFU forwards, or null for the rest.</summary>
    private static string? Family(MediaKind kind, Codec codec)
    {
        var mono = codec.Channels is null or 1;
        return kind switch
        {
            MediaKind.Audio when codec.Is("opus") && codec.ClockRate == 48000 && codec.Channels == 2 => "opus",
            MediaKind.Audio when codec.Is("G722") && codec.ClockRate == 8000 && mono => "G722",
            MediaKind.Audio when codec.Is("PCMU") && codec.ClockRate == 8000 && mono => "PCMU",
            MediaKind.Audio when codec.Is("PCMA") && codec.ClockRate == 8000 && mono => "PCMA",
            MediaKind.Video when codec.ClockRate != 90000 => null,
            MediaKind.Video when codec.Is("VP8") => "VP8",
            MediaKind.Video when codec.Is("VP9") && (codec.Parameter("profile-id") ?? "0") == "0" => "VP9",
            MediaKind.Video when codec.Is("H264") && codec.Parameter("packetization-mode") == "1" => "H264",
            _ => null,
        };
    }

    /// <summary>0 for constrained baseline (profile_idc 0x42 with constraint_set1, as in 42e01f), 1 for other
    /// baseline, 2 for main, high and the rest.</summary>
    private static int H264Rank(Codec codec)
    {
        var (idc, iop) = H264Profile(codec);
        return idc != 0x42 ? 2 : (iop & 0x40) != 0 ? 0 : 1;
    }

    private static int H264ProfileIdc(Codec codec) => H264Profile(codec).Idc;

    /// <summary>profile_idc and profile_iop from profile-level-id; absent means 42000a, baseline (RFC 6184 §8.1).</summary>
    private static (int Idc, int Iop) H264Profile(Codec codec)
    {
        var id = codec.Parameter("profile-level-id") ?? "42000a";
        if (id.Length != 6 || !int.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            return (0, 0);
        return (value >> 16, (value >> 8) & 0xFF);
    }
}
