using System.Net;
using System.Net.Sockets;
using Zvonim.Bench.Sfu;
using Zvonim.Media.Dtls;
using Zvonim.Media.Sfu;
using Zvonim.Media.Srtp;
using Zvonim.Media.Stun;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Media;

/// <summary>The media forwarder's engine on a real UDP port: ICE checks answered for a session it has, media sent to
/// the pair the browser nominated, a few addresses kept per session, a failed DTLS handshake tried again on the next
/// offer, and a connection that goes silent reported inactive after the timeout, on a virtual clock.</summary>
public sealed class MediaEngineTests
{
    private sealed class Recorder : IMediaPeerListener
    {
        public int Inactive;

        public TaskCompletionSource<string> Connections { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Failures { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Connected(string cipherSuite, string srtpProfile) => Connections.TrySetResult(srtpProfile);

        public void Failed(string reason) => Failures.TrySetResult(reason);

        void IMediaPeerListener.Inactive() => Interlocked.Increment(ref Inactive);
    }

    private static async Task CheckAsync(Socket browser, MediaEngine engine, MediaPeer peer, bool nominate = true)
    {
        var request = IceLiteTests.Request(new IceLiteTests.Check(Username: $"{peer.Ice.Ufrag}:browser", Password: peer.Ice.Pwd, UseCandidate: nominate));
        await browser.SendToAsync(request, new IPEndPoint(IPAddress.Loopback, engine.Port));
        var buffer = new byte[1500];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await browser.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), patience.Token);
        var answer = StunMessage.Read(buffer.AsSpan(0, received.ReceivedBytes));
        Assert.Equal(StunMessage.BindingSuccess, answer?.Type);
    }

    [Fact]
    public async Task A_connection_that_goes_silent_or_never_checks_is_reported_inactive_once_after_the_timeout_and_one_that_speaks_is_not()
    {
        var time = Clocks.Fake(DateTimeOffset.UtcNow);
        using var engine = new MediaEngine(new MediaEngineOptions(0, [IPAddress.Loopback], InactivityTimeout: TimeSpan.FromSeconds(60)), time);
        var silent = new Recorder();
        var talking = new Recorder();
        var silentPeer = engine.CreatePeer("silent", silent);
        var talkingPeer = engine.CreatePeer("talking", talking);
        var never = new Recorder(); // offered, answered, and never heard from: no address, nothing to go silent
        engine.CreatePeer("never", never);
        using var browserA = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var browserB = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        browserA.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        browserB.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await CheckAsync(browserA, engine, silentPeer);
        await CheckAsync(browserB, engine, talkingPeer);

        for (var second = 0; second < 59; second += 5)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await CheckAsync(browserB, engine, talkingPeer); // consent checks every few seconds, as browsers send them
        }
        await engine.FlushAsync();
        Assert.Equal(0, silent.Inactive);
        Assert.Equal(0, never.Inactive);

        time.Advance(TimeSpan.FromSeconds(10));
        await CheckAsync(browserB, engine, talkingPeer);
        await engine.FlushAsync();
        Assert.Equal(1, silent.Inactive);
        Assert.Equal(1, never.Inactive);
        Assert.Equal(0, talking.Inactive);

        time.Advance(TimeSpan.FromSeconds(30));
        await engine.FlushAsync();
        Assert.Equal(1, silent.Inactive); // told once
    }

    private static Socket Browser()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static SocketAddress AddressOf(Socket socket) => socket.LocalEndPoint!.Serialize();

    [Fact]
    public async Task Media_goes_to_the_pair_the_browser_nominated_not_to_a_backup_pair_it_checks_later()
    {
        using var engine = new MediaEngine(new MediaEngineOptions(0, [IPAddress.Loopback]));
        var peer = engine.CreatePeer("browser", new Recorder());
        using var first = Browser();
        using var selected = Browser();
        using var backup = Browser();

        await CheckAsync(first, engine, peer, nominate: false);
        Assert.Equal(AddressOf(first), peer.Remote); // nothing nominated yet: the first valid check serves

        await CheckAsync(selected, engine, peer, nominate: true);
        Assert.Equal(AddressOf(selected), peer.Remote);

        await CheckAsync(backup, engine, peer, nominate: false); // a backup pair, checked after the nomination
        await CheckAsync(first, engine, peer, nominate: false);
        await engine.FlushAsync();
        Assert.Equal(AddressOf(selected), peer.Remote);
        Assert.Same(peer, engine.PeerAt(AddressOf(backup))); // whose packets are still taken
    }

    [Fact]
    public async Task Checks_from_a_hundred_ports_leave_a_few_addresses_and_the_nominated_one_keeps_working()
    {
        using var engine = new MediaEngine(new MediaEngineOptions(0, [IPAddress.Loopback]));
        var peer = engine.CreatePeer("browser", new Recorder());
        using var selected = Browser();
        await CheckAsync(selected, engine, peer, nominate: true);

        for (var i = 0; i < 100; i++)
        {
            using var other = Browser();
            await CheckAsync(other, engine, peer, nominate: false);
        }
        await engine.FlushAsync();

        Assert.InRange(engine.KnownAddresses, 1, 8);
        Assert.Equal(AddressOf(selected), peer.Remote);
        Assert.Same(peer, engine.PeerAt(AddressOf(selected)));
    }

    [Fact]
    public async Task A_handshake_that_failed_is_tried_again_when_the_browser_offers_again()
    {
        using var engine = new MediaEngine(new MediaEngineOptions(0, [IPAddress.Loopback]));
        var listener = new Recorder();
        using var peer = engine.CreatePeer("browser", listener);
        using var browser = SfuLoadPeer.Open("browser", new IPEndPoint(IPAddress.Loopback, engine.Port));
        var announced = ClientIdentity.Create();
        var actual = ClientIdentity.Create();
        browser.ConnectIce(peer.Ice.Ufrag, peer.Ice.Pwd, TimeSpan.FromSeconds(10));

        // Its SDP named another certificate than the one it shows: refused. (A timeout fails the same way, but a short
        // one would also cut the retry short on a busy machine.)
        peer.Connect(announced.Fingerprint, browser.Ufrag);
        await Assert.ThrowsAnyAsync<Exception>(() => Task.Run(() =>
            browser.Handshake(actual, [DtlsSrtpProfile.AeadAes128Gcm], engine.Certificate.Fingerprint, TimeSpan.FromSeconds(10))));
        await listener.Failures.Task.WaitAsync(TimeSpan.FromSeconds(10));

        peer.Connect(actual.Fingerprint, browser.Ufrag); // it offers again, as it was told
        await Task.Run(() => browser.Handshake(actual, [DtlsSrtpProfile.AeadAes128Gcm], engine.Certificate.Fingerprint, TimeSpan.FromSeconds(10)));

        Assert.Equal(nameof(SrtpProfile.AeadAes128Gcm), await listener.Connections.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
