using Zvonim.Media.Sdp;

namespace Zvonim.Media.Sfu;

/// <summary>A track a browser announced in its offer: its SSRC, what it is, and the codec it will send with.</summary>
public sealed record AnnouncedTrack(uint Ssrc, MediaKind Kind, Codec Codec, string StreamId, string TrackId);

public sealed record OfferOutcome(string? AnswerSdp, string? Error, IReadOnlyList<AnnouncedTrack> Published, TransportParameters? Remote);

/// <param name="Added">Tracks now sent to the browser (new, or moved to another section).</param>
/// <param name="Removed">Tracks no longer sent.</param>
public sealed record AnswerOutcome(string? Error, IReadOnlyList<SenderBinding> Added, IReadOnlyList<SenderBinding> Removed);

/// <summary>
/// One browser session's negotiation with the SFU, as a state with no I/O: the browser offers its own tracks and gets
/// answers; the server offers when the set of tracks it should send changes, one offer at a time, and applies the
/// browser's answer. When both offer at once (glare) the server gives way: its offer is dropped, the browser's is
/// answered, and the server offers again afterwards.
/// </summary>
public sealed class SessionNegotiator(ServerIdentity identity)
{
    private SessionDescription? _local;       // the server's last settled description
    private SessionDescription? _offer;       // the server's offer awaiting an answer
    private IReadOnlyList<SenderBinding> _offerSenders = [];
    private NegotiatedCodecs _codecs = NegotiatedCodecs.Default;
    private Dictionary<string, SenderBinding> _sending = new(StringComparer.Ordinal); // by track id

    public bool Negotiated => _local is not null;

    public bool OfferInFlight => _offer is not null;

    /// <summary>The tracks the browser receives now, by track id.</summary>
    public IReadOnlyDictionary<string, SenderBinding> Sending => _sending;

    public OfferOutcome OnOffer(string sdp)
    {
        var offer = SessionDescription.Parse(sdp, out var parseError);
        if (offer is null) return new(null, $"The offer is not valid SDP: {parseError}", [], null);
        _offer = null; // glare: the browser's offer wins; ours is made again after
        _offerSenders = [];
        var slots = _sending.Values.Select(b => SenderSlot.At(b.Mid, b.Track)).ToList();
        var result = SdpNegotiation.Answer(offer, identity, slots, _local);
        if (!result.Succeeded) return new(null, $"The offer cannot be taken: {result.Error}", [], null);
        _local = result.Description;
        _codecs = NegotiatedCodecs.From(_local!);
        _sending = result.Senders.ToDictionary(b => b.Track.TrackId, StringComparer.Ordinal);
        return new(result.Sdp, null, Announced(offer, _local!), result.Remote);
    }

    /// <summary>An offer that makes the browser receive exactly <paramref name="wanted"/>, or null when nothing
    /// would change, or when it must wait (no first negotiation yet, or an offer already out).</summary>
    public string? OfferFor(IReadOnlyList<LocalTrack> wanted)
    {
        if (_local is null || _offer is not null) return null;
        var wantedIds = wanted.Select(t => t.TrackId).ToHashSet(StringComparer.Ordinal);
        var unchanged = wantedIds.SetEquals(_sending.Keys) && wanted.All(t => _sending[t.TrackId].Track == t);
        if (unchanged) return null;
        var slots = new List<SenderSlot>();
        foreach (var track in wanted)
            slots.Add(_sending.TryGetValue(track.TrackId, out var binding) ? SenderSlot.At(binding.Mid, track) : SenderSlot.New(track));
        foreach (var gone in _sending.Values.Where(b => !wantedIds.Contains(b.Track.TrackId)))
            slots.Add(new SenderSlot(gone.Mid, gone.Track.Kind, null));
        var result = SdpNegotiation.Offer(_local, identity, slots, _codecs);
        if (!result.Succeeded) return null;
        _offer = result.Description;
        _offerSenders = result.Senders;
        return result.Sdp;
    }

    public AnswerOutcome OnAnswer(string sdp)
    {
        if (_offer is null) return new("There is no offer of the server's to answer.", [], []);
        var answer = SessionDescription.Parse(sdp, out var parseError);
        var problem = answer is null ? $"The answer is not valid SDP: {parseError}" : SdpNegotiation.CheckAnswer(_offer, answer);
        if (problem is not null)
        {
            _offer = null; // the server offers again from what was settled
            _offerSenders = [];
            return new(problem, [], []);
        }
        _local = SdpNegotiation.Settle(_offer, answer!);
        var rejected = _local.Media.Where(m => m.IsRejected).Select(m => m.Mid).ToHashSet();
        var next = _offerSenders.Where(b => !rejected.Contains(b.Mid)).ToDictionary(b => b.Track.TrackId, StringComparer.Ordinal);
        var added = next.Values.Where(b => !_sending.TryGetValue(b.Track.TrackId, out var before) || before != b).ToList();
        var removed = _sending.Values.Where(b => !next.TryGetValue(b.Track.TrackId, out var after) || after != b).ToList();
        _sending = next;
        _offer = null;
        _offerSenders = [];
        return new(null, added, removed);
    }

    /// <summary>What the browser said it sends: in each accepted section it sends on, the first SSRC that is not a
    /// retransmission one, with the codec the answer put first (the one the browser sends with).</summary>
    private static List<AnnouncedTrack> Announced(SessionDescription offer, SessionDescription answer)
    {
        var tracks = new List<AnnouncedTrack>();
        foreach (var offered in offer.Media)
        {
            var answered = offered.Mid is null ? null : answer.Section(offered.Mid);
            if (answered is null || answered.IsRejected || !offered.Direction.Sends() || answered.Codecs.Count == 0) continue;
            var repairs = offered.SsrcGroups.Where(g => g.Semantics == "FID").SelectMany(g => g.Ssrcs.Skip(1)).ToHashSet();
            var primary = offered.Ssrcs.FirstOrDefault(s => !repairs.Contains(s.Ssrc));
            if (primary is null) continue;
            var msid = offered.Msid ?? primary.Msid;
            tracks.Add(new AnnouncedTrack(primary.Ssrc, offered.Kind, answered.Codecs[0],
                msid?.StreamId ?? "-", msid?.TrackId ?? $"{offered.Kind}-{primary.Ssrc}"));
        }
        return tracks;
    }
}
