using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Tls;
using Zvonim.Bench.Load;
using Zvonim.Media.Dtls;
using Zvonim.Media.Ice;
using Zvonim.Media.Rtp;
using Zvonim.Media.Srtp;
using Zvonim.Media.Stun;

namespace Zvonim.Bench.Sfu;

/// <summary>
/// One simulated browser towards Zvonim's media forwarder, in this process, over real UDP on loopback, on a socket of
/// its own: ICE checks as the controlling agent (USERNAME "server:client", MESSAGE-INTEGRITY under the server's
/// password, FINGERPRINT, USE-CANDIDATE) until answered, then a DTLS 1.2 client handshake with BouncyCastle offering
/// use_srtp, then SRTP both ways with the exported keys (<see cref="DtlsSrtpKeys.Split"/> as the client).
/// A publisher sends RTP whose payload carries its send time (<see cref="ArrivalClock.Now"/>) and a packet index; a
/// subscriber decrypts what the forwarder sends it on a thread of its own and records latency (to the kernel's
/// arrival stamp and to its own read), loss, order and duplicates.
/// Either thread also decrypts the SRTCP the forwarder sends and counts its key-frame requests
/// (<see cref="KeyFrameRequests"/>), which a publisher answers as a browser's encoder does.
/// </summary>
public sealed class SfuLoadPeer : IDisposable
{
    /// <summary>Where in the RTP payload the send time (8 bytes) and the packet index (8 bytes) are: after the VP8
    /// payload descriptor (4 bytes) and the VP8 frame tag with room for a key frame's start code (6 bytes).</summary>
    public const int StampOffset = 10;

    private const int SocketBuffer = 4 << 20;
    private const ushort TransportCcId = 5;

    private readonly Socket _socket;
    private readonly byte[] _packet = new byte[1600];
    private Thread? _receiver;
    private DtlsTransport? _dtls;
    private ushort _sequence = (ushort)Random.Shared.Next(ushort.MaxValue);
    private uint _rtpTimestamp = (uint)Random.Shared.Next();
    private volatile bool _stopping;

    private SfuLoadPeer(string label)
    {
        Label = label;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = SocketBuffer,
            SendBufferSize = SocketBuffer,
        };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        StampsArrivals = ArrivalClock.TryEnable(_socket);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Ufrag = RandomNumberGenerator.GetString(IceCredentials.Alphabet, IceCredentials.UfragLength);
    }

    public string Label { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>This "browser's" a=ice-ufrag.</summary>
    public string Ufrag { get; }

    /// <summary>The SRTP profile the handshake chose (or the direct pair was given).</summary>
    public SrtpProfile Profile { get; private set; }

    /// <summary>Protects what this peer sends; unprotects what it receives.</summary>
    public SrtpContext? Out { get; private set; }

    public SrtpContext? In { get; private set; }

    /// <summary>Packets sent by <see cref="SendNext"/>.</summary>
    public long Sent => Volatile.Read(ref _sent);

    private long _sent;

    public long SendErrors { get; private set; }

    /// <summary>Whether the kernel stamps this peer's arrivals; without, a packet's arrival is when it was read.</summary>
    public bool StampsArrivals { get; }

    /// <summary>The PLIs and FIRs heard from the forwarder, once a receive thread runs (<see cref="StartReceiving"/>
    /// or <see cref="StartDraining"/>).</summary>
    public SfuKeyFrameRequests KeyFrameRequests { get; } = new();

    /// <summary>A peer whose socket talks to <paramref name="remote"/> only (the forwarder's port).</summary>
    public static SfuLoadPeer Open(string label, IPEndPoint remote)
    {
        var peer = new SfuLoadPeer(label);
        peer._socket.Connect(remote);
        return peer;
    }

    /// <summary>A peer whose ufrag goes into an offer before it knows where the forwarder is: <see cref="ConnectTo"/>
    /// once the answer says.</summary>
    public static SfuLoadPeer Unconnected(string label) => new(label);

    public void ConnectTo(IPEndPoint remote) => _socket.Connect(remote);

    /// <summary>Two peers wired to each other with the same SRTP keys, no forwarder between: the baseline.</summary>
    public static (SfuLoadPeer Sender, SfuLoadPeer Receiver) DirectPair(SrtpProfile profile)
    {
        var sender = new SfuLoadPeer("direct sender");
        var receiver = new SfuLoadPeer("direct receiver");
        sender._socket.Connect(receiver.LocalEndPoint);
        receiver._socket.Connect(sender.LocalEndPoint);
        ShareKeys(profile, sender, [receiver]);
        return (sender, receiver);
    }

    /// <summary>One sender and receivers all wired to <paramref name="relay"/>, which passes packets on untouched, so
    /// they share one set of SRTP keys: the floor under the forwarder (<see cref="UdpFloor"/>).</summary>
    public static (SfuLoadPeer Sender, SfuLoadPeer[] Receivers) ThroughRelay(SrtpProfile profile, IPEndPoint relay, int receivers)
    {
        var sender = Open("floor publisher", relay);
        var listeners = Enumerable.Range(1, receivers).Select(i => Open($"floor subscriber {i}", relay)).ToArray();
        ShareKeys(profile, sender, listeners);
        return (sender, listeners);
    }

    private static void ShareKeys(SrtpProfile profile, SfuLoadPeer sender, SfuLoadPeer[] receivers)
    {
        var keys = new SrtpMasterKeys(RandomNumberGenerator.GetBytes(SrtpProfiles.KeyLength(profile)), RandomNumberGenerator.GetBytes(SrtpProfiles.SaltLength(profile)));
        sender.Profile = profile;
        sender.Out = new SrtpContext(profile, keys);
        foreach (var receiver in receivers)
        {
            receiver.Profile = profile;
            receiver.In = new SrtpContext(profile, keys);
        }
    }

    /// <summary>Sends Binding requests until one is answered with a valid success (integrity under the server's
    /// password, our transaction id), as a controlling browser nominating the pair.</summary>
    public void ConnectIce(string serverUfrag, string serverPwd, TimeSpan timeout)
    {
        var key = Encoding.UTF8.GetBytes(serverPwd);
        var username = Encoding.UTF8.GetBytes($"{serverUfrag}:{Ufrag}");
        var tieBreaker = RandomNumberGenerator.GetBytes(8);
        var buffer = new byte[1500];
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var transaction = RandomNumberGenerator.GetBytes(12);
            var request = BindingRequest(transaction, username, key, tieBreaker);
            try
            {
                _socket.Send(request);
            }
            catch (SocketException)
            {
            }
            var retry = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5;
            while (Stopwatch.GetTimestamp() < retry)
            {
                var wait = TimeSpan.FromTicks(Math.Max(1, (retry - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
                if (!_socket.Poll(wait, SelectMode.SelectRead)) break;
                int length;
                try
                {
                    length = _socket.Receive(buffer);
                }
                catch (SocketException)
                {
                    continue;
                }
                var answer = StunMessage.Read(buffer.AsSpan(0, length));
                if (answer is { Type: StunMessage.BindingSuccess } && answer.TransactionId.SequenceEqual(transaction)
                    && answer.FingerprintValid() && answer.IntegrityValid(key))
                    return;
            }
        }
        throw new TimeoutException($"{Label}: no answer to ICE checks within {timeout.TotalSeconds} s");
    }

    /// <summary>The DTLS client handshake on this socket; then the SRTP contexts from the exported keys.</summary>
    public void Handshake(ClientIdentity identity, int[] profiles, Fingerprint serverFingerprint, TimeSpan timeout)
    {
        var client = new SfuDtlsClient(identity, profiles, (int)timeout.TotalMilliseconds);
        _dtls = new DtlsClientProtocol().Connect(client, new UdpDtlsTransport(_socket));
        if (client.ServerCertificate is not { } certificate || !serverFingerprint.Matches(certificate))
            throw new BenchFailure($"{Label}: the server's certificate is not the one its fingerprint says");
        Profile = (SrtpProfile)client.SrtpProfile;
        var (local, remote) = DtlsSrtpKeys.Split(client.KeyingMaterial!, Profile, isServer: false);
        Out = new SrtpContext(Profile, local);
        In = new SrtpContext(Profile, remote);
    }

    /// <summary>Builds, protects and sends the next RTP packet: a one-byte header extension (transport-cc, as a
    /// browser sends it), a 4-byte VP8-like payload descriptor, a VP8 frame tag (an inter frame's, or with
    /// <paramref name="keyFrame"/> a key frame's and its start code, as <see cref="Vp8.IsKeyFrame"/> reads them), the
    /// send time and <paramref name="index"/>, then filler up to <paramref name="payloadLength"/>. A video frame ends
    /// (marker) every <paramref name="frameEvery"/> packets.</summary>
    public void SendNext(uint ssrc, byte payloadType, int payloadLength, long index, int frameEvery, uint timestampStep, bool keyFrame = false)
    {
        var packet = _packet.AsSpan();
        var marker = frameEvery > 0 && index % frameEvery == frameEvery - 1;
        packet[0] = 0x90; // V=2, X
        packet[1] = (byte)((marker ? 0x80 : 0) | payloadType);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], _sequence++);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], _rtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ssrc);
        BinaryPrimitives.WriteUInt16BigEndian(packet[12..], 0xBEDE);
        BinaryPrimitives.WriteUInt16BigEndian(packet[14..], 1);
        packet[16] = (byte)((TransportCcId << 4) | 1);
        BinaryPrimitives.WriteUInt16BigEndian(packet[17..], (ushort)index);
        packet[19] = 0;
        var payload = packet[20..];
        payload[0] = 0x90; // VP8 descriptor: X, S
        payload[1] = 0x80; // I: a 15-bit picture id follows
        BinaryPrimitives.WriteUInt16BigEndian(payload[2..], (ushort)(0x8000 | (index / Math.Max(1, frameEvery) & 0x7FFF)));
        // VP8 frame tag (RFC 6386 §9.1): show_frame, P clear for a key frame (then the start code 9d 01 2a), set otherwise.
        payload[4] = (byte)(keyFrame ? 0x10 : 0x11);
        payload[5] = payload[6] = 0;
        payload[7] = (byte)(keyFrame ? 0x9D : 0);
        payload[8] = (byte)(keyFrame ? 0x01 : 0);
        payload[9] = (byte)(keyFrame ? 0x2A : 0);
        BinaryPrimitives.WriteInt64LittleEndian(payload[(StampOffset + 8)..], index);
        if (frameEvery <= 0 || marker) _rtpTimestamp += timestampStep;
        var length = 20 + payloadLength;
        // The stamp last, just before protecting: the latency is the forwarder's and the wire's, not our building.
        BinaryPrimitives.WriteInt64LittleEndian(payload[StampOffset..], ArrivalClock.Now());
        var size = Out!.ProtectRtp(packet, length);
        try
        {
            _socket.Send(packet[..size]);
        }
        catch (SocketException)
        {
            SendErrors++;
        }
        Volatile.Write(ref _sent, _sent + 1);
    }

    /// <summary>Starts this peer's receive thread: every SRTP packet is decrypted and checked to be under
    /// <paramref name="ssrc"/> and <paramref name="payloadType"/>; SRTCP goes to <see cref="KeyFrameRequests"/>;
    /// anything else on the socket (DTLS) is skipped.</summary>
    public void StartReceiving(uint ssrc, byte payloadType, ReceiveStats stats)
    {
        if (_receiver is not null) throw new InvalidOperationException($"{Label}: a receive thread already reads the socket");
        if (StampsArrivals) _socket.ReceiveTimeout = 250; // a blocking recvmsg, woken now and then to see _stopping
        _receiver = new Thread(() => ReceiveLoop(ssrc, payloadType, stats)) { IsBackground = true, Name = "sfu-sub" };
        _receiver.Start();
    }

    /// <summary>Drains the socket on a thread so that the forwarder's PLIs do not pile up (the publisher's), hearing
    /// them (<see cref="KeyFrameRequests"/>). Nothing to do when a receive thread already reads the socket.</summary>
    public void StartDraining()
    {
        if (_receiver is not null) return;
        _receiver = new Thread(() =>
        {
            var buffer = new byte[2048];
            while (!_stopping)
            {
                int length;
                try
                {
                    length = _socket.Receive(buffer);
                }
                catch (SocketException)
                {
                    continue;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                if (RtpDemux.Classify(buffer.AsSpan(0, length)) == DatagramKind.Rtcp) HearRtcp(buffer, length);
            }
        }) { IsBackground = true, Name = "sfu-pub-drain" };
        _receiver.Start();
    }

    /// <summary>On the receive thread: an SRTCP packet from the forwarder, decrypted in place; one that does not
    /// authenticate (or comes before the handshake) is skipped, as before.</summary>
    private void HearRtcp(byte[] buffer, int length)
    {
        if (In is { } context && context.TryUnprotectRtcp(buffer, length, out var plain)) KeyFrameRequests.Hear(buffer.AsSpan(0, plain));
    }

    private void ReceiveLoop(uint ssrc, byte payloadType, ReceiveStats stats)
    {
        var buffer = new byte[2048];
        while (!_stopping)
        {
            int length;
            long arrival = 0;
            try
            {
                length = StampsArrivals ? ArrivalClock.Receive(_socket, buffer, out arrival) : _socket.Receive(buffer);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (length < 0) continue;
            var now = ArrivalClock.Now();
            if (arrival == 0) arrival = now;
            var kind = RtpDemux.Classify(buffer.AsSpan(0, length));
            if (kind == DatagramKind.Rtcp) HearRtcp(buffer, length);
            if (kind != DatagramKind.Rtp) continue;
            if (!In!.TryUnprotectRtp(buffer, length, out var plain))
            {
                stats.Bad("an SRTP packet did not authenticate");
                continue;
            }
            if (!RtpHeader.TryRead(buffer.AsSpan(0, plain), out var header) || header.PayloadLength < StampOffset + 16)
            {
                stats.Bad("not an RTP packet of ours");
                continue;
            }
            if (header.Ssrc != ssrc || header.PayloadType != payloadType)
            {
                stats.Bad($"ssrc {header.Ssrc} pt {header.PayloadType}, expected {ssrc} pt {payloadType}");
                continue;
            }
            var stamp = header.Payload[StampOffset..];
            var sent = BinaryPrimitives.ReadInt64LittleEndian(stamp);
            stats.Accept(BinaryPrimitives.ReadInt64LittleEndian(stamp[8..]), arrival - sent, now - sent);
        }
    }

    /// <summary>A Binding request as a controlling browser sends it (RFC 8445 §7.1): USERNAME, PRIORITY,
    /// ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY (RFC 5389 §15.4), FINGERPRINT (§15.5).</summary>
    private static byte[] BindingRequest(byte[] transaction, byte[] username, byte[] key, byte[] tieBreaker)
    {
        var paddedUser = (username.Length + 3) & ~3;
        var length = StunMessage.HeaderLength + (4 + paddedUser) + 8 + 12 + 4 + 24 + 8;
        var message = new byte[length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, StunMessage.BindingRequest);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], StunMessage.MagicCookie);
        transaction.CopyTo(span[8..]);
        var offset = StunMessage.HeaderLength;
        offset = Attribute(span, offset, StunMessage.Username, username);
        Span<byte> priority = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(priority, (110u << 24) | (65535u << 8) | 255);
        offset = Attribute(span, offset, 0x0024, priority);
        offset = Attribute(span, offset, 0x802A, tieBreaker);
        offset = Attribute(span, offset, 0x0025, []);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offset + 24 - StunMessage.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], StunMessage.MessageIntegrity);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], 20);
        HMACSHA1.HashData(key, span[..offset], span.Slice(offset + 4, 20));
        offset += 24;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offset + 8 - StunMessage.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], StunMessage.Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 4)..], Crc32(span[..offset]) ^ StunMessage.FingerprintXor);
        return message;
    }

    private static int Attribute(Span<byte> message, int offset, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message[offset..], type);
        BinaryPrimitives.WriteUInt16BigEndian(message[(offset + 2)..], (ushort)value.Length);
        value.CopyTo(message[(offset + 4)..]);
        return offset + 4 + ((value.Length + 3) & ~3);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        _receiver?.Join(TimeSpan.FromSeconds(2));
        Out?.Dispose();
        In?.Dispose();
    }
}

/// <summary>Sleeps below a millisecond on Linux (usleep; the kernel's timer slack adds about 50 µs), so a paced
/// sender need neither spin a core nor send its packets in millisecond bursts.</summary>
internal static class FineSleep
{
    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static void Sleep(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) return;
        if (!_unavailable)
        {
            try
            {
                _ = USleep((uint)Math.Min(duration.TotalMicroseconds, 1_000_000));
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _unavailable = true;
            }
        }
        Thread.Sleep(Math.Max(1, (int)duration.TotalMilliseconds));
    }

    [DllImport("libc", EntryPoint = "usleep")]
    private static extern int USleep(uint microseconds);
}
