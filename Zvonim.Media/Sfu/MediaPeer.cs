using System.Diagnostics;
using System.Net;
using Zvonim.Media.Dtls;
using Zvonim.Media.Ice;
using Zvonim.Media.Rtcp;
using Zvonim.Media.Rtp;
using Zvonim.Media.Srtp;
using Zvonim.Media.Udp;

namespace Zvonim.Media.Sfu;

/// <summary>
/// One browser's connection to the server (one RTCPeerConnection): its ICE credentials, its DTLS association, the
/// SRTP keys both ways, the tracks it publishes and the ones it receives. Everything per packet runs on the engine's
/// packet thread, which alone touches the SRTP contexts and the tables below; the owner changes them by posting.
/// </summary>
public sealed class MediaPeer : IDisposable
{
    private static readonly long KeyFrameInterval = Stopwatch.Frequency / 2; // at most two keyframe requests a second per track

    /// <summary>Streams one browser may be sent (its outbound SRTP context tracks each SSRC).</summary>
    private const int MaxForwardedStreams = 1024;

    private readonly MediaEngine _engine;
    private readonly IMediaPeerListener _listener;
    private readonly Dictionary<uint, PublishedTrack> _published = []; // by the publisher's SSRC
    private readonly Dictionary<uint, PublishedTrack> _received = [];  // by the SSRC this peer receives it under
    private volatile DtlsServerSession? _dtls; // the latest; one that is over is replaced on the next offer
    private SrtpContext? _in;
    private SrtpContext? _out;
    private int _disposed;

    internal MediaPeer(MediaEngine engine, string label, IMediaPeerListener listener)
    {
        _engine = engine;
        _listener = listener;
        Label = label;
        Ice = IceCredentials.Create();
        Responder = new IceLiteResponder(Ice);
        // Counted from its making: a browser that offers and then never checks is as silent as one that stopped.
        LastHeard = engine.Time.GetTimestamp();
    }

    /// <summary>For logs: whose connection this is.</summary>
    public string Label { get; }

    public IceCredentials Ice { get; }

    internal IceLiteResponder Responder { get; }

    /// <summary>Where media to the browser goes: the address of the pair it nominated, or of its first valid check
    /// until it nominates one (set by the packet thread).</summary>
    internal volatile SocketAddress? Remote;

    /// <summary>The addresses the engine takes this peer's packets from. The packet thread's.</summary>
    internal CheckedAddresses Addresses { get; } = new();

    /// <summary>When the browser was last heard from (the engine's clock): a valid ICE check or SRTP.</summary>
    internal long LastHeard;

    internal bool InactiveReported { get; private set; }

    internal void ReportInactive()
    {
        InactiveReported = true;
        _listener.Inactive();
    }

    public long PacketsIn;
    public long PacketsOut;

    /// <summary>Starts the DTLS server side once the browser's SDP is known (its fingerprint and ICE ufrag); each
    /// later offer changes nothing while that association lives. Once it is over (the handshake failed or timed out,
    /// or the browser closed it), the next offer starts another: the failure told the browser to offer again.</summary>
    public void Connect(Fingerprint remoteFingerprint, string remoteUfrag)
    {
        if (Volatile.Read(ref _disposed) != 0 || _dtls is { Closed.IsCompleted: false }) return;
        Responder.RemoteUfrag = remoteUfrag;
        var dtls = new DtlsServerSession(_engine.Certificate, remoteFingerprint, datagram => _engine.SendTo(datagram.Span, Remote));
        var over = _dtls;
        _dtls = dtls;
        over?.Dispose();
        _ = HandshakeAsync(dtls);
    }

    private async Task HandshakeAsync(DtlsServerSession dtls)
    {
        try
        {
            var result = await dtls.HandshakeAsync(_engine.Options.Handshake).ConfigureAwait(false);
            var profile = (SrtpProfile)result.SrtpProfile;
            var (local, remote) = DtlsSrtpKeys.Split(result.KeyingMaterial, profile, isServer: true);
            _engine.Post(() =>
            {
                if (IsCurrent(dtls)) StartSrtp(profile, local, remote);
            });
            if (IsCurrent(dtls)) _listener.Connected(result.CipherSuite, profile.ToString());
            await dtls.Closed.ConfigureAwait(false);
            if (IsCurrent(dtls)) _listener.Failed("the browser closed the connection");
        }
        catch (Exception ex)
        {
            if (IsCurrent(dtls)) _listener.Failed(ex.Message);
        }
    }

    /// <summary>Whether <paramref name="dtls"/> is still this live peer's association, not one a later offer
    /// replaced (whose end the browser need not hear of).</summary>
    private bool IsCurrent(DtlsServerSession dtls) => Volatile.Read(ref _disposed) == 0 && _dtls == dtls;

    /// <summary>On the packet thread: media flows both ways under the keys the handshake agreed (tests key a peer
    /// with this directly).</summary>
    internal void StartSrtp(SrtpProfile profile, SrtpMasterKeys local, SrtpMasterKeys remote)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var (oldIn, oldOut) = (_in, _out); // a handshake tried again replaces the keys of the one before
        _in = new SrtpContext(profile, remote);
        _out = new SrtpContext(profile, local, maxSsrcs: MaxForwardedStreams);
        oldIn?.Dispose();
        oldOut?.Dispose();
        foreach (var track in _received.Values) track.Publisher.RequestKeyFrame(track, force: true);
    }

    /// <summary>This peer sends <paramref name="track"/> from now on.</summary>
    public void Publish(PublishedTrack track) => _engine.Post(() => _published[track.Ssrc] = track);

    /// <summary>This peer no longer sends the track: nobody receives it any more.</summary>
    public void Unpublish(PublishedTrack track) => _engine.Post(() =>
    {
        _published.Remove(track.Ssrc);
        foreach (var subscription in track.Subscribers) track.Remove(subscription.Subscriber);
    });

    /// <summary>Forwards <paramref name="track"/> to this peer under <paramref name="ssrc"/> and
    /// <paramref name="payloadType"/> (what this peer's SDP says), and asks its publisher for a keyframe.</summary>
    public void Receive(PublishedTrack track, uint ssrc, byte payloadType) => _engine.Post(() =>
    {
        _received[ssrc] = track;
        track.Add(new Subscription(this, ssrc, payloadType));
        track.Publisher.RequestKeyFrame(track, force: true);
    });

    public void StopReceiving(PublishedTrack track) => _engine.Post(() =>
    {
        track.Remove(this);
        foreach (var (ssrc, received) in _received.Where(r => r.Value == track).ToList()) _received.Remove(ssrc);
    });

    /// <summary>This peer will never be sent anything under <paramref name="ssrc"/> again (its session forgot the
    /// track it stood for): the SRTP state kept for it is freed, so the tracks that come and go in a long session do
    /// not use up <see cref="MaxForwardedStreams"/>. Only then, not when a track merely stops: a track moved to
    /// another section carries on under the same SSRC, and a stream begun afresh would reuse its keystream.</summary>
    public void Retire(uint ssrc) => _engine.Post(() =>
    {
        if (_received.Remove(ssrc, out var track) && track.Subscribers.Any(s => s.Subscriber == this && s.OutSsrc == ssrc)) track.Remove(this);
        _out?.Forget(ssrc);
    });

    internal void OnDtls(ReadOnlySpan<byte> datagram) => _dtls?.Feed(datagram);

    /// <summary>An SRTP packet from the browser: decrypted in place, then sent on to every subscriber of its track.</summary>
    internal void OnRtp(Span<byte> packet, int length)
    {
        if (_in is null || !_in.TryUnprotectRtp(packet, length, out var plain)) return;
        PacketsIn++;
        LastHeard = _engine.Time.GetTimestamp();
        if (!RtpHeader.TryRead(packet[..plain], out var header) || !_published.TryGetValue(header.Ssrc, out var track)) return;
        // Each copy is protected into its own slot of the engine's batch, which the engine sends in one go.
        var batch = _engine.Batch;
        foreach (var subscription in track.Subscribers)
        {
            if (batch.IsFull) batch.Flush();
            try
            {
                Forward(packet[..plain], subscription, batch);
            }
            catch (Exception ex) when (MediaEngine.Recoverable(ex))
            {
                // That subscriber's copy is lost; the ones after it in the list still get theirs.
                _engine.CountDrop();
            }
        }
    }

    private static void Forward(ReadOnlySpan<byte> packet, Subscription subscription, BatchSender batch)
    {
        var slot = batch.NextSlot;
        packet.CopyTo(slot);
        var size = packet.Length;
        RtpRewriter.SetSsrc(slot, subscription.OutSsrc);
        RtpRewriter.SetPayloadType(slot, subscription.OutPayloadType);
        // The receiving browser demultiplexes by the SSRC its SDP announced: the publisher's header extensions
        // (ids negotiated with another browser) would only mislead it.
        RtpRewriter.StripExtensions(slot, ref size);
        subscription.Subscriber.QueueRtp(batch, size);
    }

    /// <summary>SRTCP from the browser: keyframe requests about a track it receives go to that track's publisher; the
    /// sender reports of a track it publishes go to that track's subscribers (they pair RTP time with wall-clock time,
    /// which lip sync needs).</summary>
    internal void OnRtcp(Span<byte> packet, int length)
    {
        if (_in is null || !_in.TryUnprotectRtcp(packet, length, out var plain)) return;
        LastHeard = _engine.Time.GetTimestamp();
        var compound = packet[..plain];
        foreach (var rtcp in new RtcpReader(compound))
        {
            if (rtcp.IsKeyFrameRequest && _received.TryGetValue(rtcp.MediaSsrc, out var track)) track.Publisher.RequestKeyFrame(track, force: false);
            else if (rtcp.IsSenderReport && _published.TryGetValue(rtcp.SenderSsrc, out var published)) ForwardSenderReport(published, rtcp.Slice(compound));
        }
    }

    private void ForwardSenderReport(PublishedTrack track, ReadOnlySpan<byte> report)
    {
        var scratch = _engine.Scratch;
        foreach (var subscription in track.Subscribers)
        {
            report.CopyTo(scratch);
            // Its report blocks describe what the publisher received from the server: none of a subscriber's business.
            var size = RtcpRewriter.TrimSenderReport(scratch.AsSpan(0, report.Length));
            if (size == 0 || !RtcpRewriter.SetSenderSsrc(scratch.AsSpan(0, size), subscription.OutSsrc)) continue;
            try
            {
                subscription.Subscriber.SendRtcp(scratch, size);
            }
            catch (Exception ex) when (MediaEngine.Recoverable(ex))
            {
                _engine.CountDrop();
            }
        }
    }

    internal void SendRtcp(Span<byte> packet, int length)
    {
        if (_out is null || Remote is not { } remote) return;
        var size = _out.ProtectRtcp(packet, length);
        _engine.SendTo(packet[..size], remote);
    }

    /// <summary>Protects the RTP packet in the batch's next slot and queues it for this peer; a peer not yet
    /// connected, or a packet from before what this peer was first sent of its track, leaves the slot free.</summary>
    internal void QueueRtp(BatchSender batch, int length)
    {
        if (_out is null || Remote is not { } remote) return;
        if (!_out.TryProtectRtp(batch.NextSlot, length, out var size))
        {
            _engine.CountDrop();
            return;
        }
        batch.Commit(size, remote);
        PacketsOut++;
    }

    /// <summary>Asks this peer (the publisher of <paramref name="track"/>) for a keyframe with a PLI.</summary>
    internal void RequestKeyFrame(PublishedTrack track, bool force)
    {
        if (track.Kind != Sdp.MediaKind.Video || _out is null || Remote is not { } remote) return;
        var now = Stopwatch.GetTimestamp();
        if (!force && now - track.LastKeyFrameRequest < KeyFrameInterval) return;
        track.LastKeyFrameRequest = now;
        Span<byte> pli = stackalloc byte[12 + SrtpContext.MaxOverhead];
        var size = RtcpWriter.Pli(pli, senderSsrc: 1, mediaSsrc: track.Ssrc);
        size = _out.ProtectRtcp(pli, size);
        _engine.SendTo(pli[..size], remote);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _engine.Remove(this);
        _engine.Post(() =>
        {
            foreach (var track in _published.Values)
            {
                foreach (var subscription in track.Subscribers) track.Remove(subscription.Subscriber);
            }
            foreach (var track in _received.Values) track.Remove(this);
            _published.Clear();
            _received.Clear();
            _in?.Dispose();
            _out?.Dispose();
        });
        _dtls?.Dispose();
    }
}
