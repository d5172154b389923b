using System.Net;
using Zvonim.Bench.Sfu;
using Zvonim.Media.Dtls;
using Zvonim.Media.Sdp;
using Zvonim.Media.Sfu;

namespace Zvonim.Tests.Bench;

/// <summary>
/// The bench's load peer against the media forwarder in this process: the publisher hears the forwarder's key-frame
/// request (an SRTCP PLI) when a subscriber starts receiving its track, and a burst sent in answer reaches the
/// subscriber, whose stats say so when the count is reached. Every step waits on the event it needs; the patience
/// only bounds a failure.
/// </summary>
[Collection(BenchCollection.Name)] // its engine's packet thread must not be taken for the SFU bench's
public sealed class SfuLoadPeerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private const uint PublisherSsrc = 0x5EED0002;
    private const uint SubscriberSsrc = 0x0B000001;

    private sealed class Listener : IMediaPeerListener
    {
        public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        void IMediaPeerListener.Connected(string cipherSuite, string srtpProfile) => Connected.TrySetResult();

        public void Failed(string reason) => Connected.TrySetException(new InvalidOperationException(reason));

        public void Inactive()
        {
        }
    }

    private static async Task<(SfuLoadPeer Load, MediaPeer Server)> ConnectAsync(MediaEngine engine, string label)
    {
        var listener = new Listener();
        var server = engine.CreatePeer(label, listener);
        var load = SfuLoadPeer.Open(label, new IPEndPoint(IPAddress.Loopback, engine.Port));
        var identity = ClientIdentity.Create();
        server.Connect(identity.Fingerprint, load.Ufrag);
        await Task.Run(() =>
        {
            load.ConnectIce(server.Ice.Ufrag, server.Ice.Pwd, Patience);
            load.Handshake(identity, [DtlsSrtpProfile.AeadAes128Gcm], engine.Certificate.Fingerprint, Patience);
        });
        await listener.Connected.Task.WaitAsync(Patience);
        return (load, server);
    }

    [Fact]
    public async Task The_publisher_hears_the_key_frame_request_a_new_subscriber_causes_and_its_answer_reaches_the_subscriber()
    {
        using var engine = new MediaEngine(new MediaEngineOptions(0, [IPAddress.Loopback], Patience));
        var (publisher, publisherServer) = await ConnectAsync(engine, "publisher");
        var (subscriber, subscriberServer) = await ConnectAsync(engine, "subscriber");
        using var publisherScope = publisher;
        using var subscriberScope = subscriber;
        using var publisherServerScope = publisherServer;
        using var subscriberServerScope = subscriberServer;

        var track = new PublishedTrack(publisherServer, PublisherSsrc, MediaKind.Video, new Codec(96, "VP8", 90000), "stream", "track");
        publisherServer.Publish(track);
        publisher.StartDraining();
        var stats = new ReceiveStats();
        subscriber.StartReceiving(SubscriberSsrc, 102, stats);
        Assert.Equal(0, publisher.KeyFrameRequests.Count(PublisherSsrc));

        var requested = publisher.KeyFrameRequests.WhenRequested(PublisherSsrc, seen: 0);
        subscriberServer.Receive(track, SubscriberSsrc, 102);
        await requested.WaitAsync(Patience);
        Assert.Equal(1, publisher.KeyFrameRequests.Count(PublisherSsrc));

        var received = stats.WhenReceived(50);
        for (var i = 0; i < 50; i++) publisher.SendNext(PublisherSsrc, 96, 1000, i, frameEvery: 5, timestampStep: 3000, keyFrame: i == 0);
        await received.WaitAsync(Patience);
        Assert.Equal(50, stats.Received);
        Assert.True(stats.Corrupted == 0 && stats.Duplicated == 0 && stats.Reordered == 0, stats.FirstProblem);
        Assert.True(stats.WhenReceived(50).IsCompleted, "a count already reached completes at once");
    }

    [Fact]
    public async Task A_packet_that_waits_in_the_socket_is_timed_to_its_arrival_not_to_its_read()
    {
        var (sender, receiver) = SfuLoadPeer.DirectPair(Zvonim.Media.Srtp.SrtpProfile.AeadAes128Gcm);
        using var senderScope = sender;
        using var receiverScope = receiver;
        Assert.True(receiver.StampsArrivals, "the kernel stamps arrivals on Linux");
        // Both waits are real time, not the fake clock: the kernel stamps arrivals with the real-time clock, and what is
        // asserted is the gap it sees. First, the kernel turns stamping on a moment after a socket first asks (deferred
        // work, with nothing to await); until then a datagram is stamped when read. The bench's peers ask long before
        // they measure; this one waits that moment out.
        await Task.Delay(100);
        const int Count = 20;
        for (var i = 0; i < Count; i++) sender.SendNext(PublisherSsrc, 96, 1000, i, frameEvery: 5, timestampStep: 3000);

        // Loopback has queued them all by the time Send returns; nobody reads them for a while.
        var waited = TimeSpan.FromMilliseconds(150);
        await Task.Delay(waited);
        var stats = new ReceiveStats { Recording = true };
        var received = stats.WhenReceived(Count);
        receiver.StartReceiving(PublisherSsrc, 96, stats);
        await received.WaitAsync(Patience);

        Assert.Equal(Count, stats.Latency.Count);
        // Task.Delay may return a few ms early: the read is asserted well after the sends, the arrival well before.
        Assert.True(stats.ReadLatency.PercentileMs(0) >= 100, $"read {stats.ReadLatency.PercentileMs(0)} ms after the send");
        Assert.True(stats.Latency.MaxMs < 50, $"arrived {stats.Latency.MaxMs} ms after the send");
        Assert.True(stats.Corrupted == 0 && stats.Reordered == 0 && stats.Duplicated == 0, stats.FirstProblem);
    }
}
