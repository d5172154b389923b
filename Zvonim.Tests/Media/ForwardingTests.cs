using System.Net;
using Zvonim.Actors.Media;
using Zvonim.Media.Sdp;
using Zvonim.Media.Sfu;
using Zvonim.Media.Srtp;

namespace Zvonim.Tests.Media;

/// <summary>Packets forwarded by the engine on a real UDP port, between browsers keyed by the test (no DTLS): what
/// one subscriber's trouble does to the others, and what a long session's coming and going tracks leave behind.</summary>
public sealed class ForwardingTests : IDisposable
{
    private static readonly Codec Opus = new(111, "opus", 48000, 2);

    private readonly MediaEngine _engine = new(new MediaEngineOptions(0, [IPAddress.Loopback]));

    public void Dispose() => _engine.Dispose();

    private PublishedTrack Publish(TestBrowser publisher, uint ssrc)
    {
        var track = new PublishedTrack(publisher.Peer, ssrc, MediaKind.Audio, Opus, "stream", $"audio-{ssrc}");
        publisher.Peer.Publish(track);
        return track;
    }

    [Fact]
    public async Task A_subscriber_whose_copy_fails_costs_only_its_own_copy_and_the_next_subscriber_still_gets_the_packet()
    {
        using var publisher = new TestBrowser(_engine, "publisher");
        using var full = new TestBrowser(_engine, "full");
        using var next = new TestBrowser(_engine, "next");
        await publisher.ConnectAsync();
        await full.ConnectAsync();
        await next.ConnectAsync();
        // The first subscriber has been sent as many streams as a browser may be (here one track under ever new
        // SSRCs, none retired): one more cannot be protected for it.
        var shared = Publish(publisher, 7);
        for (var i = 0; i < 1024; i++)
        {
            full.Peer.Receive(shared, 50_000u + (uint)i, 111);
            await _engine.FlushAsync();
            await publisher.SendRtpAsync(7, seq: (ushort)(i + 1));
            Assert.NotNull(await full.ReceiveRtpAsync());
        }

        full.Peer.Receive(shared, 70, 111);
        next.Peer.Receive(shared, 71, 111);
        await _engine.FlushAsync();
        var droppedBefore = _engine.Dropped;
        await publisher.SendRtpAsync(7, seq: 2000);

        Assert.Equal((71u, 112), await next.ReceiveRtpAsync());
        await _engine.FlushAsync();
        Assert.Equal(droppedBefore + 1, _engine.Dropped);
    }

    [Fact]
    public async Task A_subscriber_that_had_two_thousand_tracks_come_and_go_still_receives_a_new_one()
    {
        using var publisher = new TestBrowser(_engine, "publisher");
        using var subscriber = new TestBrowser(_engine, "subscriber");
        await publisher.ConnectAsync();
        await subscriber.ConnectAsync();
        for (var i = 0; i <= 2000; i++)
        {
            // The publisher shares its screen again and again (one SSRC here, so its own limit stays out of it); the
            // subscriber gets each share under an SSRC of its own, as its session hands out.
            var track = Publish(publisher, 7);
            var ssrc = 100_000u + (uint)i;
            subscriber.Peer.Receive(track, ssrc, 111);
            await _engine.FlushAsync();
            await publisher.SendRtpAsync(7, seq: (ushort)(i + 1));

            Assert.Equal((ssrc, 112), await subscriber.ReceiveRtpAsync());
            subscriber.Peer.StopReceiving(track);
            subscriber.Peer.Retire(ssrc);
            publisher.Peer.Unpublish(track);
        }
    }

    [Fact]
    public async Task A_session_whose_forwarded_tracks_come_and_go_frees_each_one_it_forgets_so_its_browser_still_gets_new_ones()
    {
        // The same coming and going as above, with the SSRCs handed out and forgotten by the session's own
        // bookkeeping (SessionTracks, as MediaSessionActor drives it): past the subscriber's 1 024 streams, a track
        // it forgot without freeing would leave no room for the next.
        using var publisher = new TestBrowser(_engine, "publisher");
        using var subscriber = new TestBrowser(_engine, "subscriber");
        await publisher.ConnectAsync();
        await subscriber.ConnectAsync();
        var session = new SessionTracks("bob", "session-1");
        var notSending = new Dictionary<string, SenderBinding>();
        for (var i = 0; i <= 1100; i++)
        {
            var track = Publish(publisher, 7);
            session.Wanted = [track];
            var local = Assert.Single(session.ToReceive(subscriber.Peer, notSending));
            subscriber.Peer.Receive(track, local.Ssrc, 111);
            await _engine.FlushAsync();
            await publisher.SendRtpAsync(7, seq: (ushort)(i + 1));

            Assert.Equal((local.Ssrc, 112), await subscriber.ReceiveRtpAsync());
            subscriber.Peer.StopReceiving(track); // the browser answered an offer without it
            publisher.Peer.Unpublish(track);
        }
    }

    [Fact]
    public async Task A_full_size_packet_from_an_aes_cm_publisher_reaches_a_gcm_subscriber_whose_tag_is_longer()
    {
        using var publisher = new TestBrowser(_engine, "publisher", SrtpProfile.AesCm128HmacSha1_80);
        using var subscriber = new TestBrowser(_engine, "subscriber", SrtpProfile.AeadAes128Gcm);
        await publisher.ConnectAsync();
        await subscriber.ConnectAsync();
        subscriber.Peer.Receive(Publish(publisher, 7), 70, 111);
        await _engine.FlushAsync();

        // 12 + 1498 bytes under a 10-byte tag: the largest datagram the engine takes in; a 16-byte tag makes it 1526.
        await publisher.SendRtpAsync(7, seq: 1, payloadLength: 1498);

        Assert.Equal((70u, 1510), await subscriber.ReceiveRtpAsync());
    }
}
