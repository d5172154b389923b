using Zvonim.Media.Sdp;

namespace Zvonim.Media.Sfu;

/// <summary>
/// A track a browser sends to the server (one SSRC), and the sessions it is forwarded to. The subscriber list is an
/// array replaced whole on every change, so the packet thread reads it without a lock.
/// </summary>
public sealed class PublishedTrack(MediaPeer publisher, uint ssrc, MediaKind kind, Codec codec, string streamId, string trackId)
{
    private Subscription[] _subscribers = [];

    public MediaPeer Publisher { get; } = publisher;

    public uint Ssrc { get; } = ssrc;

    public MediaKind Kind { get; } = kind;

    /// <summary>The codec the publisher sends with (its payload type).</summary>
    public Codec Codec { get; } = codec;

    public string StreamId { get; } = streamId;

    public string TrackId { get; } = trackId;

    internal Subscription[] Subscribers => Volatile.Read(ref _subscribers);

    /// <summary>When a keyframe was last asked of the publisher (Stopwatch ticks), so requests are not repeated too often.</summary>
    internal long LastKeyFrameRequest { get; set; }

    internal void Add(Subscription subscription)
    {
        lock (this) Volatile.Write(ref _subscribers, [.. _subscribers.Where(s => s.Subscriber != subscription.Subscriber), subscription]);
    }

    internal void Remove(MediaPeer subscriber)
    {
        lock (this) Volatile.Write(ref _subscribers, [.. _subscribers.Where(s => s.Subscriber != subscriber)]);
    }

    public override string ToString() => $"{Kind} {Codec.Name} ssrc {Ssrc} of {Publisher.Label}";
}

/// <summary>A published track as one subscriber receives it: under its own SSRC and payload type.</summary>
internal sealed record Subscription(MediaPeer Subscriber, uint OutSsrc, byte OutPayloadType);
