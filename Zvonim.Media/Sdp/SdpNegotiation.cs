using Zvonim.Media.Dtls;

namespace Zvonim.Media.Sdp;

/// <summary>
/// Builds the server's descriptions for one browser session, the way an ICE-lite, BUNDLE-only SFU negotiates:
/// the browser offers its own tracks and the server answers (<see cref="Answer"/>); when the server has other
/// participants' tracks to send, it offers (<see cref="Offer"/>) every section negotiated so far, in order, plus
/// sections for new tracks, checks the browser's answer (<see cref="CheckAnswer"/>) and takes in its rejections
/// (<see cref="Settle"/>). Nothing here throws on what a browser sent: problems come back as
/// <see cref="NegotiationResult.Error"/> or as warnings.
/// </summary>
public static class SdpNegotiation
{
    /// <summary>
    /// The server's answer to a browser offer. Audio and video sections in the offer's BUNDLE group with rtcp-mux and
    /// a codec in common are accepted: the server receives what the browser sends (recvonly), and sends too where a
    /// slot puts a track on the section's mid and the browser receives there. Anything else (data channels, other
    /// kinds, no common codec) is rejected with port 0 and left out of BUNDLE. The server is the DTLS server
    /// (setup:passive), so an offer that asks it to be the client is refused.
    /// </summary>
    /// <param name="slots">Tracks the server sends, on mids the offer already has (a browser's re-offer carries the
    /// sections the server added before); slots without a mid are ignored: an answer cannot add sections.</param>
    /// <param name="previousLocal">The server's last description to this browser, if any: the answer keeps its session id
    /// and bumps its version.</param>
    public static NegotiationResult Answer(
        SessionDescription offer, ServerIdentity identity, IReadOnlyList<SenderSlot>? slots = null, SessionDescription? previousLocal = null)
    {
        if (identity.Problem() is { } problem) return NegotiationResult.Fail(problem);
        if (offer.BundleMids.Count == 0)
            return NegotiationResult.Fail("the offer has no BUNDLE group: the SFU carries all media on one transport");

        var warnings = new List<string>();
        var wanted = new Dictionary<string, LocalTrack>();
        foreach (var slot in slots ?? [])
        {
            if (slot.Track is null) continue;
            if (slot.Mid is null) warnings.Add($"track {slot.Track.TrackId}: an answer cannot add a section; offer it next");
            else if (!wanted.TryAdd(slot.Mid, slot.Track)) warnings.Add($"mid {slot.Mid}: more than one track; the first is sent");
        }

        var server = new ServerSide(identity, "passive");
        var sections = new List<MediaDescription>();
        var senders = new List<SenderBinding>();
        TransportParameters? remote = null;
        foreach (var offered in offer.Media)
        {
            var codecs = CodecPreferences.Negotiate(offered.Kind, offered.Codecs);
            if (!Acceptable(offered, offer.BundleMids, codecs))
            {
                if (offered.Mid is not null && wanted.ContainsKey(offered.Mid))
                    warnings.Add($"mid {offered.Mid}: rejected, so its track is not sent");
                sections.Add(Rejected(offered));
                continue;
            }
            if (remote is null)
            {
                // The first accepted section's transport is the one BUNDLE puts everything on.
                if (TransportProblem(offered) is { } transportProblem) return NegotiationResult.Fail(transportProblem);
                remote = offered.Transport!;
            }

            var mid = offered.Mid!;
            SenderBinding? sender = null;
            if (wanted.TryGetValue(mid, out var track))
            {
                if (!offered.Direction.Receives()) warnings.Add($"track {track.TrackId}: the browser does not receive on mid {mid}");
                else sender = Place(mid, track, offered.Kind, codecs, warnings);
            }
            if (sender is not null) senders.Add(sender);
            sections.Add(server.Section(offered.Media, offered.Protocol, mid, codecs,
                CodecPreferences.NegotiateExtensions(offered.HeaderExtensions), offered.RtcpReducedSize,
                MediaDirections.From(sends: sender is not null, receives: offered.Direction.Sends()), sender));
        }

        foreach (var mid in wanted.Keys.Where(mid => offer.Section(mid) is null))
            warnings.Add($"mid {mid}: not in the offer; its track is not sent");
        var accepted = sections.Where(s => !s.IsRejected).Select(s => s.Mid!).ToHashSet();
        var description = new SessionDescription
        {
            Origin = NextOrigin(previousLocal),
            IceLite = true,
            BundleMids = offer.BundleMids.Where(accepted.Contains).Distinct().ToList(),
            Media = sections,
        };
        return new NegotiationResult(description, null, senders, remote, warnings);
    }

    /// <summary>
    /// A server offer for renegotiation: every section of <paramref name="previousLocal"/> keeps its place and mid
    /// (rejected ones stay rejected), the server receives where it received before, and sends where a slot puts a
    /// track. A section whose track is gone stays in BUNDLE as inactive (port 9) and may carry the next track of its
    /// kind; a new track without such a section gets a new sendonly section at the end. Sections added here offer
    /// the codecs negotiated for their kind (<paramref name="codecs"/>); existing ones keep their own.
    /// </summary>
    /// <param name="previousLocal">The server's last description to this browser (answer or offer); null when the
    /// server offers first.</param>
    /// <param name="slots">The tracks to send after this negotiation. A live section no slot names is not sent on.</param>
    public static NegotiationResult Offer(
        SessionDescription? previousLocal, ServerIdentity identity, IReadOnlyList<SenderSlot> slots, NegotiatedCodecs codecs)
    {
        if (identity.Problem() is { } problem) return NegotiationResult.Fail(problem);
        var warnings = new List<string>();
        var plans = (previousLocal?.Media ?? []).Select(m => new Plan(m)).ToList();
        var named = new HashSet<string>();
        var fresh = new List<LocalTrack>();
        foreach (var slot in slots)
        {
            if (slot.Mid is null)
            {
                if (slot.Track is not null) fresh.Add(slot.Track);
                continue;
            }
            var plan = plans.Find(p => p.Section.Mid == slot.Mid);
            if (plan is null || plan.Section.IsRejected || plan.Section.Kind != slot.Kind || !named.Add(slot.Mid))
            {
                warnings.Add($"mid {slot.Mid}: no live {slot.Kind} section for this slot, or a second slot for it");
                continue;
            }
            if (slot.Track is not null) plan.Sender = Place(slot.Mid, slot.Track, slot.Kind, plan.Section.Codecs, warnings);
        }

        var midExtension = plans.Select(p => p.Section.ExtensionId(HeaderExtension.SdesMid)).FirstOrDefault(id => id is not null)
            ?? codecs.MidExtensionId;
        foreach (var track in fresh)
        {
            if (track.Problem() is { } trackProblem)
            {
                warnings.Add(trackProblem);
                continue;
            }
            // Only a section already inactive is reused: one freed in this same offer would swap tracks under the
            // browser's existing receiver.
            var reuse = plans.Find(p => !p.Section.IsRejected && p.Section.Kind == track.Kind && p.Sender is null &&
                                        p.Section.Direction == MediaDirection.Inactive && !named.Contains(p.Section.Mid!) &&
                                        CodecPreferences.Find(p.Section.Codecs, track.Codec) is not null);
            if (reuse is not null)
            {
                reuse.Sender = Place(reuse.Section.Mid!, track, track.Kind, reuse.Section.Codecs, warnings);
                continue;
            }
            var mid = NewMid(plans);
            var section = new MediaDescription
            {
                Media = track.Kind.ToSdp(),
                Protocol = RtpProtocol,
                Port = 9,
                Mid = mid,
                Direction = MediaDirection.Inactive,
                RtcpReducedSize = true,
                Codecs = codecs.For(track.Kind),
                HeaderExtensions = [new HeaderExtension(midExtension, HeaderExtension.SdesMid)],
            };
            if (Place(mid, track, track.Kind, section.Codecs, warnings) is { } sender)
                plans.Add(new Plan(section) { Sender = sender });
        }

        var server = new ServerSide(identity, "actpass");
        var sections = plans.Select(p => p.Section.IsRejected
            ? Rejected(p.Section)
            : server.Section(p.Section.Media, p.Section.Protocol, p.Section.Mid!, p.Section.Codecs, p.Section.HeaderExtensions,
                p.Section.RtcpReducedSize, MediaDirections.From(sends: p.Sender is not null, receives: p.Section.Direction.Receives()),
                p.Sender)).ToList();
        var description = new SessionDescription
        {
            Origin = NextOrigin(previousLocal),
            IceLite = true,
            BundleMids = sections.Where(s => !s.IsRejected).Select(s => s.Mid!).ToList(),
            Media = sections,
        };
        return new NegotiationResult(description, null, plans.Where(p => p.Sender is not null).Select(p => p.Sender!).ToList(), null, warnings);
    }

    /// <summary>
    /// Why a browser's answer does not fit the server's offer, or null: it must have the same sections in the same
    /// order with the same mids and kinds, accept none the offer rejected, and take the DTLS client role
    /// (setup:active) in what it accepts.
    /// </summary>
    public static string? CheckAnswer(SessionDescription localOffer, SessionDescription answer)
    {
        if (answer.Media.Count != localOffer.Media.Count)
            return $"the answer has {answer.Media.Count} sections for the offer's {localOffer.Media.Count}";
        for (var i = 0; i < answer.Media.Count; i++)
        {
            var (offered, answered) = (localOffer.Media[i], answer.Media[i]);
            if (answered.Mid != offered.Mid || answered.Kind != offered.Kind)
                return $"section {i} is {answered.Media} mid {answered.Mid} for the offer's {offered.Media} mid {offered.Mid}";
            if (answered.IsRejected) continue;
            if (offered.IsRejected) return $"mid {offered.Mid}: accepted, though the offer rejected it";
            if (answered.Setup is not null and not "active") return $"mid {offered.Mid}: setup:{answered.Setup}, not active";
        }
        return null;
    }

    /// <summary>
    /// The server's offer as the browser's answer left it, to pass as the previous description next time: sections
    /// the browser rejected (port 0) stay rejected from now on and leave BUNDLE, as JSEP (RFC 8829 §5.2.2) asks of
    /// later offers. Call it once <see cref="CheckAnswer"/> has found the answer fitting; sections whose mid does
    /// not match are left as offered.
    /// </summary>
    public static SessionDescription Settle(SessionDescription localOffer, SessionDescription answer)
    {
        var media = localOffer.Media.Select((offered, i) =>
            i < answer.Media.Count && answer.Media[i].Mid == offered.Mid && answer.Media[i].IsRejected && !offered.IsRejected
                ? Rejected(offered)
                : offered).ToList();
        var live = media.Where(m => !m.IsRejected).Select(m => m.Mid).ToHashSet();
        return localOffer with { Media = media, BundleMids = localOffer.BundleMids.Where(live.Contains).ToList() };
    }

    private const string RtpProtocol = "UDP/TLS/RTP/SAVPF";

    private static bool Acceptable(MediaDescription offered, IReadOnlyList<string> bundle, IReadOnlyList<Codec> codecs) =>
        !offered.IsRejected &&
        offered.Kind is MediaKind.Audio or MediaKind.Video &&
        offered.Protocol is RtpProtocol or "RTP/SAVPF" &&
        offered.Mid is not null && bundle.Contains(offered.Mid) &&
        offered.RtcpMux &&
        codecs.Count > 0;

    private static string? TransportProblem(MediaDescription offered)
    {
        var mid = offered.Mid;
        if (!IceCredentials.IsValidUfrag(offered.IceUfrag) || !IceCredentials.IsValidPwd(offered.IcePwd))
            return $"mid {mid}: missing or malformed ICE credentials";
        if (offered.Fingerprint is not { IsSupported: true })
            return $"mid {mid}: no DTLS fingerprint with a hash the server knows";
        if (offered.Setup is "passive" or "holdconn")
            return $"mid {mid}: setup:{offered.Setup}, but the server is always the DTLS server";
        return null;
    }

    /// <summary>A binding of a track to a section, or null (with a warning) when the track is malformed, of the
    /// wrong kind, or in a format the section has no codec for.</summary>
    private static SenderBinding? Place(string mid, LocalTrack track, MediaKind kind, IReadOnlyList<Codec> codecs, List<string> warnings)
    {
        if (track.Problem() is { } problem)
        {
            warnings.Add(problem);
            return null;
        }
        if (track.Kind != kind)
        {
            warnings.Add($"track {track.TrackId}: {track.Kind} cannot go in {kind} mid {mid}");
            return null;
        }
        if (CodecPreferences.Find(codecs, track.Codec) is not { } codec)
        {
            warnings.Add($"track {track.TrackId}: the browser has not negotiated {track.Codec.RtpMap} on mid {mid}");
            return null;
        }
        return new SenderBinding(mid, track, codec);
    }

    /// <summary>Rejected: port 0, one format (RFC 3264 §6), the mid and inactive.</summary>
    private static MediaDescription Rejected(MediaDescription offered) => new()
    {
        Media = offered.Media,
        Port = 0,
        Protocol = offered.Protocol,
        Formats = offered.Formats.Count > 0 ? [offered.Formats[0]] : ["0"],
        Mid = offered.Mid,
        Direction = MediaDirection.Inactive,
    };

    /// <summary>The lowest number not yet a mid, from the section count up (Chromium numbers its mids the same way).</summary>
    private static string NewMid(List<Plan> plans)
    {
        for (var n = plans.Count; ; n++)
        {
            var mid = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!plans.Exists(p => p.Section.Mid == mid)) return mid;
        }
    }

    /// <summary>The previous description's session id with the version one up, or a new session.</summary>
    private static Origin NextOrigin(SessionDescription? previous) => previous?.Origin is { } origin
        ? origin with { Version = origin.Version + 1 }
        : new Origin(Random.Shared.NextInt64(1, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture), 1);

    /// <summary>A section of the previous description and the track it is to carry.</summary>
    private sealed class Plan(MediaDescription section)
    {
        public MediaDescription Section { get; } = section;
        public SenderBinding? Sender { get; set; }
    }

    /// <summary>What the server writes in every live section: its transport and DTLS role.</summary>
    private sealed class ServerSide(ServerIdentity identity, string setup)
    {
        private readonly Fingerprint _fingerprint = new(Fingerprint.Sha256Name, identity.FingerprintSha256.ToUpperInvariant());
        private readonly IReadOnlyList<string> _candidates = identity.CandidateLines();

        public MediaDescription Section(string media, string protocol, string mid, IReadOnlyList<Codec> codecs,
            IReadOnlyList<HeaderExtension> extensions, bool reducedSize, MediaDirection direction, SenderBinding? sender)
        {
            var msid = sender is null ? null : new Msid(sender.Track.StreamId, sender.Track.TrackId);
            return new MediaDescription
            {
                Media = media,
                Port = 9,
                Protocol = protocol,
                Formats = codecs.Select(c => c.PayloadType.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                Mid = mid,
                Direction = direction,
                RtcpMux = true,
                RtcpReducedSize = reducedSize,
                Codecs = codecs,
                HeaderExtensions = extensions,
                Msid = msid,
                Ssrcs = sender is null ? [] : [new SsrcDescription(sender.Track.Ssrc, sender.Track.Cname, msid)],
                Candidates = _candidates,
                EndOfCandidates = true,
                IceUfrag = identity.IceUfrag,
                IcePwd = identity.IcePwd,
                Fingerprint = _fingerprint,
                Setup = setup,
            };
        }
    }
}
