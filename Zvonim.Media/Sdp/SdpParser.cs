using System.Globalization;
using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>
/// Reads SDP text into a <see cref="SessionDescription"/>. One pass over at most
/// <see cref="SessionDescription.MaxLength"/> characters with look-ups in dictionaries or small capped lists, so a
/// hostile client gets linear work and bounded memory; everything that is not SDP comes back as null with a reason. Attributes the SFU has no use for, and ones it cannot read, are skipped:
/// browsers add new ones every few releases.
/// </summary>
internal static class SdpParser
{
    private const int MaxLength = SessionDescription.MaxLength;
    private const int MaxLineLength = SessionDescription.MaxLineLength;
    private const int MaxMediaSections = SessionDescription.MaxMediaSections;

    /// <summary>Chromium writes five per codec; the cap bounds what "a=rtcp-fb:*" can multiply.</summary>
    private const int MaxFeedbackPerCodec = 16;

    public static SessionDescription? Parse(string? sdp, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(sdp)) return Fail("the description is empty", out error);
        if (sdp.Length > MaxLength) return Fail($"the description is longer than {MaxLength} characters", out error);

        var session = new SectionState(null);
        var sections = new List<SectionState>();
        Origin? origin = null;
        var iceLite = false;
        List<string>? bundle = null;
        var sawVersion = false;
        var lineNumber = 0;
        for (var start = 0; start < sdp.Length;)
        {
            var newline = sdp.IndexOf('\n', start);
            var end = newline < 0 ? sdp.Length : newline;
            var line = sdp.AsSpan(start, end - start);
            start = end + 1;
            lineNumber++;
            if (line.EndsWith("\r")) line = line[..^1];
            if (line.Length > MaxLineLength) return Fail($"line {lineNumber} is longer than {MaxLineLength} characters", out error);
            if (line.IsWhiteSpace()) continue;
            if (line.Length < 2 || line[1] != '=' || !char.IsAsciiLetterLower(line[0]))
                return Fail($"line {lineNumber} is not type=value", out error);
            if (!sawVersion)
            {
                if (!line.SequenceEqual("v=0")) return Fail("the description does not start with v=0", out error);
                sawVersion = true;
                continue;
            }

            var value = line[2..].Trim().ToString();
            switch (line[0])
            {
                case 'o':
                    origin ??= ReadOrigin(value);
                    break;
                case 'm':
                    if (sections.Count == MaxMediaSections)
                        return Fail($"more than {MaxMediaSections} media sections", out error);
                    var section = ReadMediaLine(value);
                    if (section is null) return Fail($"line {lineNumber} is not a valid m= line", out error);
                    sections.Add(section);
                    break;
                case 'a' when sections.Count == 0:
                    var (name, argument) = SplitAttribute(value);
                    if (name == "ice-lite") iceLite = true;
                    else if (name == "group" && bundle is null && ReadBundle(argument) is { } mids) bundle = mids;
                    else session.Read(name, argument);
                    break;
                case 'a':
                    var (mediaName, mediaArgument) = SplitAttribute(value);
                    sections[^1].Read(mediaName, mediaArgument);
                    break;
            }
        }
        if (!sawVersion) return Fail("the description is empty", out error);

        var media = sections.Select(s => s.Build(session)).ToList();
        var seen = new HashSet<string>();
        foreach (var m in media)
            if (m.Mid is not null && !seen.Add(m.Mid)) return Fail($"mid {m.Mid} is used twice", out error);

        return new SessionDescription
        {
            Origin = origin,
            IceLite = iceLite,
            BundleMids = bundle ?? [],
            IceUfrag = session.IceUfrag,
            IcePwd = session.IcePwd,
            Fingerprint = session.Fingerprint,
            Setup = session.Setup,
            Media = media,
        };
    }

    private static SessionDescription? Fail(string reason, out string error)
    {
        error = reason;
        return null;
    }

    /// <summary>"- 3891312720460183432 2 IN IP4 127.0.0.1": the id and version, or null when they are not numbers.</summary>
    private static Origin? ReadOrigin(string value)
    {
        var parts = Words(value);
        if (parts.Length < 3 || !IsDigits(parts[1]) || !ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return null;
        return new Origin(parts[1], version);
    }

    /// <summary>"video 9 UDP/TLS/RTP/SAVPF 96 97": a port (with an optional "/count") and a protocol are required.</summary>
    private static SectionState? ReadMediaLine(string value)
    {
        var parts = Words(value);
        if (parts.Length < 3) return null;
        var port = parts[1].Split('/')[0];
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535) return null;
        return new SectionState(new MediaLine(parts[0], number, parts[2], parts[3..]));
    }

    private static List<string>? ReadBundle(string? argument)
    {
        var parts = Words(argument);
        return parts.Length > 0 && parts[0] == "BUNDLE" ? [.. parts[1..]] : null;
    }

    private static (string Name, string? Argument) SplitAttribute(string value)
    {
        var colon = value.IndexOf(':');
        return colon < 0 ? (value, null) : (value[..colon], value[(colon + 1)..]);
    }

    internal static string[] Words(string? text) =>
        text is null ? [] : text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    internal static bool IsDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    internal static bool TryPayloadType(string text, out int payloadType) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out payloadType) && payloadType <= 127;

    private sealed record MediaLine(string Media, int Port, string Protocol, string[] Formats);

    /// <summary>What the lines of one section (or of the session part, with no m= line) have said so far.</summary>
    private sealed class SectionState(MediaLine? line)
    {
        private readonly Dictionary<int, (string Name, int ClockRate, int? Channels)> _rtpmaps = [];
        private readonly Dictionary<int, string> _fmtps = [];
        private readonly Dictionary<int, List<string>> _feedback = [];
        private readonly List<string> _wildcardFeedback = [];
        private readonly List<HeaderExtension> _extensions = [];
        private readonly List<uint> _ssrcOrder = [];
        private readonly Dictionary<uint, (string? Cname, Msid? Msid)> _ssrcs = [];
        private readonly List<SsrcGroup> _groups = [];
        private readonly List<string> _candidates = [];
        private string? _mid;
        private MediaDirection? _direction;
        private bool _rtcpMux, _rtcpReducedSize, _endOfCandidates, _bundleOnly;
        private Msid? _msid;

        public string? IceUfrag { get; private set; }
        public string? IcePwd { get; private set; }
        public Fingerprint? Fingerprint { get; private set; }
        public string? Setup { get; private set; }

        public void Read(string name, string? argument)
        {
            if (MediaDirections.Parse(name) is { } direction)
            {
                _direction ??= direction;
                return;
            }
            switch (name)
            {
                case "ice-ufrag": IceUfrag ??= argument; break;
                case "ice-pwd": IcePwd ??= argument; break;
                case "fingerprint":
                    // Several may be given (RFC 8122 §5); keep the first, or the first SHA-256 after another hash.
                    if (Fingerprint.Parse(argument) is { } fingerprint &&
                        (Fingerprint is null || (Fingerprint.Algorithm != Fingerprint.Sha256Name && fingerprint.Algorithm == Fingerprint.Sha256Name)))
                        Fingerprint = fingerprint;
                    break;
                case "setup": Setup ??= argument; break;
                case "mid" when argument is { Length: > 0 }: _mid ??= argument; break;
                case "rtcp-mux": _rtcpMux = true; break;
                case "rtcp-rsize": _rtcpReducedSize = true; break;
                case "end-of-candidates": _endOfCandidates = true; break;
                case "bundle-only": _bundleOnly = true; break;
                case "candidate" when argument is not null: _candidates.Add("candidate:" + argument); break;
                case "msid": _msid ??= ReadMsid(argument); break;
                case "rtpmap": ReadRtpmap(argument); break;
                case "fmtp": ReadFmtp(argument); break;
                case "rtcp-fb": ReadFeedback(argument); break;
                case "extmap": ReadExtmap(argument); break;
                case "ssrc": ReadSsrc(argument); break;
                case "ssrc-group": ReadSsrcGroup(argument); break;
            }
        }

        private static Msid? ReadMsid(string? argument)
        {
            var parts = Words(argument);
            return parts.Length == 0 ? null : new Msid(parts[0], parts.Length > 1 ? parts[1] : null);
        }

        /// <summary>"111 opus/48000/2".</summary>
        private void ReadRtpmap(string? argument)
        {
            var parts = Words(argument);
            if (parts.Length < 2 || !TryPayloadType(parts[0], out var pt) || _rtpmaps.ContainsKey(pt)) return;
            var encoding = parts[1].Split('/');
            if (encoding.Length is < 2 or > 3 || encoding[0].Length == 0) return;
            if (!int.TryParse(encoding[1], NumberStyles.None, CultureInfo.InvariantCulture, out var clock) || clock == 0) return;
            int? channels = null;
            if (encoding.Length == 3)
            {
                if (!int.TryParse(encoding[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count is 0 or > 255) return;
                channels = count;
            }
            _rtpmaps[pt] = (encoding[0], clock, channels);
        }

        /// <summary>"111 minptime=10;useinbandfec=1".</summary>
        private void ReadFmtp(string? argument)
        {
            var space = argument?.IndexOf(' ') ?? -1;
            if (space <= 0 || !TryPayloadType(argument![..space], out var pt)) return;
            var parameters = argument[(space + 1)..].Trim();
            if (parameters.Length > 0) _fmtps.TryAdd(pt, parameters);
        }

        /// <summary>"96 nack pli", or "* nack" for every payload type.</summary>
        private void ReadFeedback(string? argument)
        {
            var parts = Words(argument);
            if (parts.Length < 2) return;
            var feedback = string.Join(' ', parts[1..]);
            if (parts[0] == "*")
            {
                if (_wildcardFeedback.Count < MaxFeedbackPerCodec) _wildcardFeedback.Add(feedback);
                return;
            }
            if (!TryPayloadType(parts[0], out var pt)) return;
            if (!_feedback.TryGetValue(pt, out var list)) _feedback[pt] = list = [];
            if (list.Count < MaxFeedbackPerCodec && !list.Contains(feedback)) list.Add(feedback);
        }

        /// <summary>"4 urn:ietf:params:rtp-hdrext:sdes:mid", or "4/sendonly uri" with a direction.</summary>
        private void ReadExtmap(string? argument)
        {
            var parts = Words(argument);
            if (parts.Length < 2) return;
            var id = parts[0].Split('/')[0];
            if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 255) return;
            if (_extensions.Exists(e => e.Id == number)) return;
            _extensions.Add(new HeaderExtension(number, parts[1]));
        }

        /// <summary>"3190715005 cname:jU2OtbH2iRwYjoh/" or "3190715005 msid:stream track".</summary>
        private void ReadSsrc(string? argument)
        {
            var space = argument?.IndexOf(' ') ?? -1;
            if (space <= 0 || !uint.TryParse(argument![..space], NumberStyles.None, CultureInfo.InvariantCulture, out var ssrc)) return;
            var (name, value) = SplitAttribute(argument[(space + 1)..].Trim());
            if (!_ssrcs.TryGetValue(ssrc, out var known))
            {
                _ssrcOrder.Add(ssrc);
                known = (null, null);
            }
            if (name == "cname" && value is { Length: > 0 }) known.Cname ??= value;
            else if (name == "msid") known.Msid ??= ReadMsid(value);
            _ssrcs[ssrc] = known;
        }

        /// <summary>"FID 3686620466 2081512450".</summary>
        private void ReadSsrcGroup(string? argument)
        {
            var parts = Words(argument);
            if (parts.Length < 2) return;
            var ssrcs = new List<uint>();
            foreach (var part in parts[1..])
            {
                if (!uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var ssrc)) return;
                ssrcs.Add(ssrc);
            }
            _groups.Add(new SsrcGroup(parts[0], ssrcs));
        }

        public MediaDescription Build(SectionState session) => new()
        {
            Media = line!.Media,
            Port = line.Port,
            Protocol = line.Protocol,
            Formats = line.Formats,
            Mid = _mid,
            Direction = _direction ?? MediaDirection.SendRecv,
            RtcpMux = _rtcpMux,
            RtcpReducedSize = _rtcpReducedSize,
            BundleOnly = _bundleOnly,
            Codecs = BuildCodecs(),
            HeaderExtensions = _extensions,
            Ssrcs = _ssrcOrder.Select(s => new SsrcDescription(s, _ssrcs[s].Cname, _ssrcs[s].Msid)).ToList(),
            SsrcGroups = _groups,
            Msid = _msid,
            Candidates = _candidates,
            EndOfCandidates = _endOfCandidates,
            IceUfrag = IceUfrag ?? session.IceUfrag,
            IcePwd = IcePwd ?? session.IcePwd,
            Fingerprint = Fingerprint ?? session.Fingerprint,
            Setup = Setup ?? session.Setup,
        };

        /// <summary>The m= line's payload types in order, each with its rtpmap (or the static one RFC 3551 fixes for
        /// the audio codecs the SFU takes); types with neither are left out.</summary>
        private List<Codec> BuildCodecs()
        {
            var codecs = new List<Codec>();
            var seen = new HashSet<int>();
            foreach (var format in line!.Formats)
            {
                if (!TryPayloadType(format, out var pt) || !seen.Add(pt)) continue;
                (string Name, int ClockRate, int? Channels) map;
                if (_rtpmaps.TryGetValue(pt, out var written)) map = written;
                else if (StaticPayloadType(pt) is { } known) map = known;
                else continue;
                var feedback = _feedback.TryGetValue(pt, out var list) ? list : [];
                codecs.Add(new Codec(pt, map.Name, map.ClockRate, map.Channels, _fmtps.GetValueOrDefault(pt))
                {
                    RtcpFeedback = [.. feedback, .. _wildcardFeedback.Where(f => !feedback.Contains(f))],
                });
            }
            return codecs;
        }

        private static (string, int, int?)? StaticPayloadType(int pt) => pt switch
        {
            0 => ("PCMU", 8000, null),
            8 => ("PCMA", 8000, null),
            9 => ("G722", 8000, null),
            _ => null,
        };
    }
}
