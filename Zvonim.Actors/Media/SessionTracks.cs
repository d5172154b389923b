using System.Security.Cryptography;
using Zvonim.Media.Sdp;
using Zvonim.Media.Sfu;

namespace Zvonim.Actors.Media;

/// <summary>
/// The tracks of one session's browser connection: those it sends, published to the room through its
/// <see cref="MediaPeer"/>, and the others' it receives, each under an SSRC of its own. Driven by
/// <see cref="MediaSessionActor"/>; knows nothing of sockets or the room's actors.
/// </summary>
internal sealed class SessionTracks(string userId, string sessionId)
{
    private readonly Dictionary<uint, PublishedTrack> _published = [];        // what this browser sends, by SSRC
    private readonly Dictionary<PublishedTrack, LocalTrack> _forwarded = [];  // the others' tracks, as this browser gets them
    private readonly HashSet<uint> _ssrcsUsed = [];                           // every SSRC handed out in this session, retired ones too

    /// <summary>The others' tracks the room offers this browser now.</summary>
    public IReadOnlyList<PublishedTrack> Wanted { get; set; } = [];

    public IReadOnlyList<PublishedTrack> Published => [.. _published.Values];

    /// <summary>Publishes what the browser announced and withdraws what it no longer does; true when that changed.</summary>
    public bool Publish(MediaPeer peer, IReadOnlyList<AnnouncedTrack> announced)
    {
        var changed = false;
        foreach (var gone in _published.Keys.Where(ssrc => announced.All(a => a.Ssrc != ssrc)).ToList())
        {
            peer.Unpublish(_published[gone]);
            _published.Remove(gone);
            changed = true;
        }
        var stream = StreamId();
        foreach (var track in announced.Where(a => !_published.ContainsKey(a.Ssrc)))
        {
            var published = new PublishedTrack(peer, track.Ssrc, track.Kind, track.Codec, stream, $"{track.Kind.ToSdp()}-{track.Ssrc:x8}");
            peer.Publish(published);
            _published[track.Ssrc] = published;
            changed = true;
        }
        return changed;
    }

    /// <summary>Forgets a browser connection that is gone: its tracks leave the room.</summary>
    public void Reset(MediaPeer peer)
    {
        foreach (var track in _published.Values) peer.Unpublish(track);
        _published.Clear();
        _forwarded.Clear();
    }

    /// <summary>The tracks to offer the browser: the wanted ones, under its SSRCs. A track no longer wanted is
    /// forgotten once the browser has stopped receiving it (it is no longer among <paramref name="sending"/>); its
    /// SSRC is never used again, so <paramref name="peer"/> frees what it kept for it.</summary>
    public List<LocalTrack> ToReceive(MediaPeer peer, IReadOnlyDictionary<string, SenderBinding> sending)
    {
        foreach (var gone in _forwarded.Keys.Where(t => !Wanted.Contains(t)).ToList())
        {
            if (sending.ContainsKey(_forwarded[gone].TrackId)) continue;
            peer.Retire(_forwarded[gone].Ssrc);
            _forwarded.Remove(gone);
        }
        return [.. Wanted.Select(Local)];
    }

    /// <summary>The other's track behind what the browser agreed to receive.</summary>
    public PublishedTrack? Source(SenderBinding binding) => _forwarded.FirstOrDefault(f => f.Value.TrackId == binding.Track.TrackId).Key;

    private LocalTrack Local(PublishedTrack track)
    {
        if (!_forwarded.TryGetValue(track, out var local))
        {
            // Never one this session has used before: a retired SSRC's send state is gone, and the same SSRC under
            // the same keys would start again at index 0 and reuse its keystream.
            uint ssrc;
            do ssrc = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)) | 1; // never 0
            while (!_ssrcsUsed.Add(ssrc));
            local = new LocalTrack(track.Kind, track.StreamId, track.TrackId, ssrc, "zvonim", track.Codec);
            _forwarded[track] = local;
        }
        return local;
    }

    /// <summary>How the others' browsers group this one's tracks: by user and session, which the page reads back.</summary>
    private string StreamId()
    {
        var session = new string(sessionId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(20).ToArray());
        return $"{userId}.{session}";
    }
}
