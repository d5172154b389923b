using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Zvonim.Media.Sfu;
using Zvonim.Media.Srtp;
using Zvonim.Media.Stun;

namespace Zvonim.Tests.Media;

/// <summary>
/// A browser's end of one <see cref="MediaPeer"/> on a real UDP port, with the DTLS handshake skipped: the test makes
/// up both directions' SRTP keys and hands the peer its half. It passes an ICE check, sends SRTP and reads what the
/// engine forwards to it.
/// </summary>
internal sealed class TestBrowser : IDisposable
{
    private readonly MediaEngine _engine;
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly SrtpContext _toServer;
    private readonly SrtpContext _fromServer;
    private readonly SrtpMasterKeys _serverKeys;
    private readonly SrtpMasterKeys _browserKeys;

    private sealed class Listener : IMediaPeerListener
    {
        public void Connected(string cipherSuite, string srtpProfile)
        {
        }

        public void Failed(string reason)
        {
        }

        public void Inactive()
        {
        }
    }

    public TestBrowser(MediaEngine engine, string label, SrtpProfile profile = SrtpProfile.AeadAes128Gcm)
    {
        _engine = engine;
        Profile = profile;
        Peer = engine.CreatePeer(label, new Listener());
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveBufferSize = 1 << 20;
        _serverKeys = Keys(profile);
        _browserKeys = Keys(profile);
        _toServer = new SrtpContext(profile, _browserKeys);
        _fromServer = new SrtpContext(profile, _serverKeys, maxSsrcs: 4096);
    }

    public MediaPeer Peer { get; }

    public SrtpProfile Profile { get; }

    private IPEndPoint Server => new(IPAddress.Loopback, _engine.Port);

    private static SrtpMasterKeys Keys(SrtpProfile profile) =>
        new(RandomNumberGenerator.GetBytes(SrtpProfiles.KeyLength(profile)), RandomNumberGenerator.GetBytes(SrtpProfiles.SaltLength(profile)));

    /// <summary>Passes an ICE check (the engine learns this browser's address) and keys the peer.</summary>
    public async Task ConnectAsync()
    {
        var request = IceLiteTests.Request(new IceLiteTests.Check(Username: $"{Peer.Ice.Ufrag}:browser", Password: Peer.Ice.Pwd));
        await _socket.SendToAsync(request, Server);
        var buffer = new byte[1500];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), patience.Token);
        Assert.Equal(StunMessage.BindingSuccess, StunMessage.Read(buffer.AsSpan(0, received.ReceivedBytes))?.Type);
        _engine.Post(() => Peer.StartSrtp(Profile, _serverKeys, _browserKeys));
        await _engine.FlushAsync();
    }

    /// <summary>Sends one SRTP packet of <paramref name="payloadLength"/> bytes of payload.</summary>
    public async Task SendRtpAsync(uint ssrc, ushort seq, int payloadLength = 100)
    {
        var packet = new byte[12 + payloadLength + SrtpContext.MaxOverhead];
        packet[0] = 0x80;
        packet[1] = 111;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), seq * 960u);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        packet.AsSpan(12, payloadLength).Fill(0x5A);
        var size = _toServer.ProtectRtp(packet, 12 + payloadLength);
        await _socket.SendToAsync(packet.AsMemory(0, size), Server);
    }

    /// <summary>The next RTP packet that decrypts (its SSRC and plain length), or null when none comes in time.</summary>
    public async Task<(uint Ssrc, int Length)?> ReceiveRtpAsync(TimeSpan? patience = null)
    {
        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(patience ?? TimeSpan.FromSeconds(2));
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                if (received.ReceivedBytes < 12 || buffer[0] >> 6 != 2 || buffer[1] is >= 192 and <= 223) continue; // not RTP
                if (_fromServer.TryUnprotectRtp(buffer, received.ReceivedBytes, out var length))
                    return (BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(8)), length);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Peer.Dispose();
        _socket.Dispose();
        _toServer.Dispose();
        _fromServer.Dispose();
    }
}
