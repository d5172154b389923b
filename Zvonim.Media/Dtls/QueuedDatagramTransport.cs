using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace Zvonim.Media.Dtls;

/// <summary>
/// The datagram transport BouncyCastle's DTLS runs over. Datagrams the UDP demultiplexer feeds in wait in a bounded
/// queue for BouncyCastle's blocking receive; datagrams BouncyCastle sends go to the session's callback. Closing it
/// (BouncyCastle does when the association ends; the session does on a timeout, a cancellation or disposal) wakes a
/// blocked receive at once, and every later receive fails: that is how a handshake thread is told to stop.
/// </summary>
internal sealed class QueuedDatagramTransport : DatagramTransport
{
    /// <summary>The largest datagram accepted: an Ethernet MTU. DTLS in WebRTC stays far below it.</summary>
    public const int ReceiveLimit = 1500;

    /// <summary>The largest datagram sent, as libwebrtc and Pion do: under IPv6's minimum MTU (1280) less the IPv6,
    /// UDP and TURN ChannelData headers, so a flight is never fragmented by IP on the way.</summary>
    public const int SendLimit = 1200;

    /// <summary>A handshake flight is a handful of datagrams; more than this waiting means a flood or a stalled
    /// reader, and the excess is dropped (DTLS retransmits whatever mattered).</summary>
    public const int QueueCapacity = 32;

    private readonly BlockingCollection<byte[]> _inbound = new(new ConcurrentQueue<byte[]>(), QueueCapacity);

    // Neither is disposed: no timer, no wait handle, nothing unmanaged; and Feed may race with the end.
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Action<ReadOnlyMemory<byte>> _send;
    private readonly TaskCompletionSource _receiving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the handshake first waits for a datagram (it is then blocked in BouncyCastle).</summary>
    public Task Receiving => _receiving.Task;
    private volatile bool _sendsStopped;
    private long _dropped;

    public QueuedDatagramTransport(Action<ReadOnlyMemory<byte>> send) => _send = send;

    /// <summary>Completes when the transport closes, whoever closed it.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closing.IsCancellationRequested;

    public bool HasPending => _inbound.Count > 0;

    /// <summary>Datagrams not queued: empty, too large, the queue full, or the transport closed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a copy of a datagram without blocking; false when it was dropped.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty || datagram.Length > ReceiveLimit || IsClosed || !_inbound.TryAdd(datagram.ToArray()))
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        return true;
    }

    /// <summary>From now on datagrams BouncyCastle sends are discarded: the owner of the socket has let go.</summary>
    public void StopSending() => _sendsStopped = true;

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    /// <returns>The datagram's length, or -1 when none came within <paramref name="waitMillis"/> (BouncyCastle's
    /// timeout, on which it retransmits).</returns>
    /// <exception cref="IOException">The transport is closed.</exception>
    public int Receive(Span<byte> buffer, int waitMillis)
    {
        _receiving.TrySetResult();
        byte[]? datagram;
        try
        {
            // BouncyCastle always bounds its wait; like a socket, treat zero as "until something happens".
            if (!_inbound.TryTake(out datagram, waitMillis > 0 ? waitMillis : Timeout.Infinite, _closing.Token))
                return -1;
        }
        catch (OperationCanceledException)
        {
            // An IOException is what BouncyCastle expects of a transport that went away: it ends the handshake.
            throw new IOException("The DTLS transport is closed.");
        }
        // Cannot happen (BouncyCastle's buffer is the receive limit, and larger datagrams are never queued); a
        // datagram that does not fit is one that was lost.
        if (datagram.Length > buffer.Length)
            return -1;
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_sendsStopped)
            return;
        // A fresh array each time: the callback may hand it to an asynchronous socket send and keep it.
        _send(buffer.ToArray());
    }

    public void Close()
    {
        _closing.Cancel();
        _closed.TrySetResult();
    }
}
