using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Zvonim.Media.Dtls;

/// <summary>
/// One DTLS-SRTP association, the server's (passive, <c>a=setup:passive</c>) side: datagrams come in through
/// <see cref="Feed"/> from the UDP demultiplexer (first byte 20..63, RFC 7983), datagrams go out through the send
/// callback, and <see cref="HandshakeAsync"/> yields the SRTP keys once the client is authenticated against the
/// fingerprint from its SDP. After that DTLS carries nothing WebRTC media needs; the session only listens for the
/// client ending it, which <see cref="Closed"/> reports.
/// </summary>
public sealed class DtlsServerSession : IDisposable
{
    private readonly SrtpDtlsServer _server;
    private readonly QueuedDatagramTransport _transport;

    private readonly Lock _gate = new(); // _handshake, _established, _disposed
    private Task<DtlsResult>? _handshake;
    private DtlsTransport? _established;
    private volatile bool _disposed;

    // BouncyCastle's DtlsTransport is not thread-safe: one reader at a time, and no close while it reads.
    private readonly Lock _receiveGate = new();
    private readonly byte[] _receiveBuffer = new byte[QueuedDatagramTransport.ReceiveLimit];
    private int _receiving;

    /// <param name="certificate">The server's identity, whose fingerprint went into the SDP answer.</param>
    /// <param name="remoteFingerprint">The client's <c>a=fingerprint</c>, under a hash function of
    /// <see cref="CertificateHashes.Names"/>.</param>
    /// <param name="send">Sends a datagram to the client; the memory is the callee's to keep.</param>
    /// <param name="preferGcm">Choose AEAD_AES_128_GCM over AES128_CM_HMAC_SHA1_80 when the client offers both.</param>
    /// <exception cref="ArgumentException"><paramref name="remoteFingerprint"/> is under a hash function the server
    /// does not know.</exception>
    public DtlsServerSession(DtlsCertificate certificate, Fingerprint remoteFingerprint,
        Action<ReadOnlyMemory<byte>> send, bool preferGcm = true)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(remoteFingerprint);
        ArgumentNullException.ThrowIfNull(send);
        if (!remoteFingerprint.IsSupported)
        {
            throw new ArgumentException(
                $"Fingerprints under '{remoteFingerprint.Algorithm}' are not supported, only {string.Join(", ", CertificateHashes.Names)}.",
                nameof(remoteFingerprint));
        }
        _server = new SrtpDtlsServer(new BcTlsCrypto(new SecureRandom()), certificate, remoteFingerprint, preferGcm);
        _transport = new QueuedDatagramTransport(send);
    }

    /// <summary>Completes when the session is over: the client closed it (close_notify) or sent a fatal alert, the
    /// handshake failed, timed out or was cancelled, or the session was disposed. Never faults.</summary>
    public Task Closed => _transport.Closed;

    /// <summary>Completes when the handshake is waiting for the client (for tests that stop it mid-way).</summary>
    internal Task Waiting => _transport.Receiving;

    /// <summary>Datagrams dropped by <see cref="Feed"/>: the queue full, too large, or the session over.</summary>
    public long DroppedDatagrams => _transport.Dropped;

    /// <summary>Hands the session a datagram from the client. Copies it and never blocks; a datagram that finds the
    /// queue full is dropped, as the network might have (DTLS retransmits). Datagrams fed before
    /// <see cref="HandshakeAsync"/> wait for it.</summary>
    public void Feed(ReadOnlySpan<byte> datagram)
    {
        if (_transport.TryEnqueue(datagram) && Volatile.Read(ref _established) is not null)
            ScheduleReceive();
    }

    /// <summary>Runs the handshake (on a thread of its own: BouncyCastle's blocks) and returns the SRTP keys. The
    /// first call starts it; later calls return the same task, whatever their arguments.</summary>
    /// <returns>A task that faults with <see cref="TimeoutException"/> when <paramref name="timeout"/> passes,
    /// <see cref="System.Security.Authentication.AuthenticationException"/> when the handshake fails (among others
    /// when the client's certificate does not match its fingerprint), <see cref="ObjectDisposedException"/> when the
    /// session is disposed first; cancelled by <paramref name="cancellationToken"/>. Any of these ends the
    /// session.</returns>
    public Task<DtlsResult> HandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive.");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _handshake ??= CompleteHandshakeAsync(
                DtlsHandshake.Start(_server, _transport, timeout, cancellationToken));
        }
    }

    private async Task<DtlsResult> CompleteHandshakeAsync(Task<(DtlsTransport, DtlsResult)> handshake)
    {
        DtlsTransport established;
        DtlsResult result;
        try
        {
            (established, result) = await handshake.ConfigureAwait(false);
        }
        catch (Exception e) when (_disposed && e is not OperationCanceledException)
        {
            throw new ObjectDisposedException("The DTLS session was disposed before its handshake completed.", e);
        }
        lock (_gate)
        {
            if (_disposed)
            {
                established.Close();
                throw new ObjectDisposedException(nameof(DtlsServerSession));
            }
            _established = established;
        }
        // Whatever arrived while the last flight went out (a close_notify, a retransmitted flight) is waiting.
        ScheduleReceive();
        return result;
    }

    /// <summary>Reads what arrived after the handshake on the thread pool, one reader at a time. There is no
    /// application data for media here (only a data channel's SCTP would use it), but this is where BouncyCastle
    /// sees a close_notify or fatal alert from the client, and resends its last flight when the client, having
    /// missed it, retransmits its own.</summary>
    private void ScheduleReceive()
    {
        if (_transport.HasPending && Interlocked.CompareExchange(ref _receiving, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static session => session.ReceivePending(), this, preferLocal: false);
    }

    private void ReceivePending()
    {
        do
        {
            while (_transport.HasPending && !_transport.IsClosed)
                ReceiveOne();
            Volatile.Write(ref _receiving, 0);
            // A datagram fed between the last look and the flag's release would otherwise wait for the next one.
        }
        while (_transport.HasPending && !_transport.IsClosed && Interlocked.CompareExchange(ref _receiving, 1, 0) == 0);
    }

    private void ReceiveOne()
    {
        lock (_receiveGate)
        {
            try
            {
                // The datagram is already queued: the millisecond only bounds how long BouncyCastle keeps looking
                // for application data once it has processed it. What it returns is of no use to media.
                _established!.Receive(_receiveBuffer, 0, _receiveBuffer.Length, 1);
            }
            catch (Exception)
            {
                // A fatal alert received, a record that failed to decrypt, or the transport closed under the read:
                // the association is over whatever the exception.
                _transport.Close();
            }
        }
    }

    /// <summary>Ends the session: an established association says close_notify to the client first, a handshake in
    /// progress stops at once (its task faults with <see cref="ObjectDisposedException"/>). Nothing is sent after
    /// this returns.</summary>
    public void Dispose()
    {
        DtlsTransport? established;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            established = _established;
        }
        if (established is not null)
        {
            // The client learns at once, rather than when its consent checks go unanswered.
            lock (_receiveGate)
                established.Close();
        }
        _transport.StopSending();
        _transport.Close();
    }
}
