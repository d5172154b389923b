using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Zvonim.Media.Dtls;
using Zvonim.Media.Ice;
using Zvonim.Media.Rtp;
using Zvonim.Media.Srtp;
using Zvonim.Media.Udp;

namespace Zvonim.Media.Sfu;

/// <summary>
/// The node's media forwarder: one UDP port for every session (ICE-lite, BUNDLE, rtcp-mux), one thread that reads it.
/// Each datagram is told apart by its first byte (RFC 7983): STUN checks are answered at once and say which session a
/// remote address belongs to; DTLS goes to that session's handshake; SRTP is decrypted, rewritten and encrypted again
/// for every subscriber on this same thread, with no queue or mailbox per packet; on Linux several datagrams are read
/// and sent per system call (recvmmsg, sendmmsg). Changes from the control side (sessions, tracks, subscriptions) are
/// posted to the thread and run between packets.
/// </summary>
public sealed class MediaEngine : IDisposable
{
    private const int MaxDatagram = 1500 + SrtpContext.MaxOverhead;

    /// <summary>A forwarded copy can outgrow the datagram it came in: a packet that arrived under a 10-byte
    /// AES-CM tag leaves under a 16-byte GCM one to a subscriber that negotiated GCM.</summary>
    private const int MaxForwarded = MaxDatagram + SrtpContext.MaxOverhead;

    /// <summary>Forwarded copies sent with one system call at most (a packet to more subscribers takes several).</summary>
    private const int BatchCapacity = 64;

    /// <summary>Datagrams read with one system call at most when they queue up faster than the thread handles them.</summary>
    private const int ReceiveCapacity = 16;

    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly ConcurrentDictionary<string, MediaPeer> _byUfrag = new(StringComparer.Ordinal);
    private readonly Dictionary<SocketAddress, MediaPeer> _byAddress = []; // the packet thread's
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly byte[] _wake = [0xFF];
    private readonly SocketAddress _self;
    private int _wakePending;
    private volatile bool _stopping;

    /// <param name="time">The clock inactivity is measured on (tests drive it).</param>
    public MediaEngine(MediaEngineOptions? options = null, TimeProvider? time = null)
    {
        Options = options ?? new MediaEngineOptions();
        Time = time ?? TimeProvider.System;
        Certificate = DtlsCertificate.Create();
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // Bursts (a keyframe fanned out to many) must wait in the kernel rather than be dropped there.
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.SendBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(IPAddress.Any, Options.Port));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        Batch = new BatchSender(_socket, BatchCapacity, MaxForwarded);
        _self = new IPEndPoint(IPAddress.Loopback, Port).Serialize();
        Candidates = (Options.Advertised is { Count: > 0 } advertised ? advertised : MachineAddresses())
            .Select(address => new IPEndPoint(address, Port)).ToArray();
        _thread = new Thread(Run) { IsBackground = true, Name = "zvonim-media" };
        _thread.Start();
        var sweep = TimeSpan.FromSeconds(Math.Clamp(Options.Inactivity.TotalSeconds / 10, 0.1, 5));
        _sweep = Time.CreateTimer(static engine => ((MediaEngine)engine!).Post(((MediaEngine)engine!).Sweep), this, sweep, sweep);
    }

    private readonly ITimer _sweep;

    internal TimeProvider Time { get; }

    /// <summary>On the packet thread: reports the connections that have gone silent.</summary>
    private void Sweep()
    {
        foreach (var peer in _byUfrag.Values)
        {
            if (!peer.InactiveReported && Time.GetElapsedTime(peer.LastHeard) > Options.Inactivity) peer.ReportInactive();
        }
    }

    /// <summary>Completes once everything posted before it has run on the packet thread.</summary>
    internal Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(done.SetResult);
        return done.Task;
    }

    public MediaEngineOptions Options { get; }

    public DtlsCertificate Certificate { get; }

    public int Port { get; }

    /// <summary>The host candidates every session's SDP lists.</summary>
    public IReadOnlyList<IPEndPoint> Candidates { get; }

    /// <summary>Scratch space for one forwarded packet; only the packet thread uses it.</summary>
    internal byte[] Scratch { get; } = new byte[MaxForwarded];

    /// <summary>Where the packet thread puts forwarded RTP: sent when full and once the datagrams of one wake-up are
    /// handled, so a packet's copies to all its subscribers (and a burst's packets) leave in one system call. Other
    /// sends (ICE answers, RTCP, DTLS from the handshake's threads) go straight out: their order against RTP does not
    /// matter.</summary>
    internal BatchSender Batch { get; }

    public MediaPeer CreatePeer(string label, IMediaPeerListener listener)
    {
        var peer = new MediaPeer(this, label, listener);
        _byUfrag[peer.Ice.Ufrag] = peer;
        return peer;
    }

    internal void Remove(MediaPeer peer)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, MediaPeer>(peer.Ice.Ufrag, peer));
        Post(() =>
        {
            foreach (var address in peer.Addresses.All)
            {
                if (_byAddress.GetValueOrDefault(address) == peer) _byAddress.Remove(address);
            }
        });
    }

    /// <summary>Runs <paramref name="action"/> on the packet thread, between two packets.</summary>
    internal void Post(Action action)
    {
        _work.Enqueue(action);
        // The thread may be waiting for a datagram: send it one (ignored by the demultiplexer) to wake it.
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) _socket.SendTo(_wake, SocketFlags.None, _self);
    }

    internal void SendTo(ReadOnlySpan<byte> datagram, SocketAddress? to)
    {
        if (to is null || _stopping) return;
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
        }
        catch (SocketException)
        {
            // a full buffer or an unreachable browser: media is loss-tolerant, and ICE consent notices a dead path
        }
    }

    private void Run()
    {
        Options.OnPacketThread?.Invoke();
        var receiver = new BatchReceiver(_socket, ReceiveCapacity, MaxDatagram);
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var response = new byte[IceLiteResponder.MaxResponseLength];
        while (!_stopping)
        {
            int count;
            try
            {
                count = receiver.Receive();
            }
            catch (SocketException)
            {
                continue; // e.g. ICMP port unreachable reported for an earlier send
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (Volatile.Read(ref _wakePending) != 0) RunPosted();
            for (var i = 0; i < count; i++)
            {
                var slot = receiver.Slot(i, out var length);
                if (length == 0 || !receiver.TryGetSource(i, from)) continue;
                try
                {
                    Handle(slot, length, from, response);
                }
                catch (Exception ex) when (Recoverable(ex))
                {
                    Interlocked.Increment(ref _dropped);
                }
            }
            // A burst's forwarded copies go out together once the burst is handled (or earlier, when the batch fills).
            if (Batch.Count == 0) continue;
            try
            {
                Batch.Flush();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private void RunPosted()
    {
        Volatile.Write(ref _wakePending, 0);
        while (_work.TryDequeue(out var action))
        {
            try
            {
                action();
            }
            catch (Exception ex) when (Recoverable(ex))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    /// <summary>What one packet or one change may throw: it costs that packet or change, never the thread.</summary>
    internal static bool Recoverable(Exception ex) =>
        ex is ArgumentException or InvalidOperationException or System.Security.Cryptography.CryptographicException or ObjectDisposedException;

    private long _dropped;

    /// <summary>Packets, forwarded copies and changes dropped because handling them failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    internal void CountDrop() => Interlocked.Increment(ref _dropped);

    private void Handle(Span<byte> buffer, int length, SocketAddress from, Span<byte> response)
    {
        var packet = buffer[..length];
        switch (RtpDemux.Classify(packet))
        {
            case DatagramKind.Stun:
                OnStun(packet, from, response);
                break;
            case DatagramKind.Dtls when _byAddress.TryGetValue(from, out var peer):
                peer.OnDtls(packet);
                break;
            case DatagramKind.Rtp when _byAddress.TryGetValue(from, out var peer):
                peer.OnRtp(buffer, length);
                break;
            case DatagramKind.Rtcp when _byAddress.TryGetValue(from, out var peer):
                peer.OnRtcp(buffer, length);
                break;
        }
    }

    /// <summary>An ICE check: answered when it is for a session we have and carries its password; the address it
    /// came from is then one the session's packets are taken from. Media goes to the pair the browser nominates
    /// (RFC 8445 §7.3.1.5: a lite agent's selected pair is the one a check with USE-CANDIDATE came on, as when a
    /// browser switches networks), not to whichever pair it checked last: browsers keep checking backup pairs. Until
    /// a pair is nominated, the first valid check's address serves.</summary>
    private void OnStun(ReadOnlySpan<byte> packet, SocketAddress from, Span<byte> response)
    {
        if (!UsernameIndex.TryGetLocalUfrag(packet, out var ufrag) || !_byUfrag.TryGetValue(ufrag, out var peer)) return;
        var endpoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
        if (!peer.Responder.TryAnswer(packet, endpoint, response, out var length, out var nominated)) return;
        peer.LastHeard = Time.GetTimestamp();
        var address = Remember(peer, from);
        if (nominated || peer.Remote is null) peer.Remote = address;
        SendTo(response[..length], from);
    }

    /// <summary>The engine's copy of <paramref name="from"/>, an address <paramref name="peer"/>'s packets are taken
    /// from now (another session's no longer); the peer's least recently checked address beyond its few is
    /// forgotten.</summary>
    private SocketAddress Remember(MediaPeer peer, SocketAddress from)
    {
        if (peer.Addresses.Touch(from) is { } known) return known;
        if (_byAddress.TryGetValue(from, out var other)) other.Addresses.Forget(from);
        var address = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(address.Buffer);
        _byAddress[address] = peer;
        if (peer.Addresses.Add(address, inUse: peer.Remote) is { } forgotten) _byAddress.Remove(forgotten);
        return address;
    }

    /// <summary>For tests: how many addresses the engine takes packets from, and whose one is.</summary>
    internal int KnownAddresses => _byAddress.Count;

    internal MediaPeer? PeerAt(SocketAddress address) => _byAddress.GetValueOrDefault(address);

    /// <summary>The IPv4 addresses of the interfaces that are up, loopback included.</summary>
    private static IEnumerable<IPAddress> MachineAddresses()
    {
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork)
            .Distinct()
            .OrderBy(a => IPAddress.IsLoopback(a) ? 1 : 0) // other machines' browsers try the real ones first
            .ToList();
        return addresses.Count > 0 ? addresses : [IPAddress.Loopback];
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _sweep.Dispose();
        try
        {
            // Closing a socket does not wake a thread blocked in recvmmsg on it: a datagram does.
            _socket.SendTo(_wake, SocketFlags.None, _self);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
    }
}
