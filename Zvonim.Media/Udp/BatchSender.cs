using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Zvonim.Media.Udp.LinuxUdp;

namespace Zvonim.Media.Udp;

/// <summary>
/// Datagrams to many destinations written into preallocated slots and sent together: on Linux with one
/// <c>sendmmsg(2)</c> per flush, elsewhere (or if the kernel lacks the call) one <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/>
/// each. A forwarder fanning one packet out to N browsers pays the system call's fixed cost once instead of N times.
/// </summary>
/// <remarks>
/// One thread at a time. The slots, the message headers and the addresses live in pinned arrays whose addresses are
/// wired into the headers once, so queuing and flushing allocate nothing. A send that fails (a full buffer, an
/// unreachable address) costs that datagram only: media is loss-tolerant.
/// </remarks>
internal sealed unsafe class BatchSender
{
    private readonly Socket _socket;
    private readonly MessageSlots _slots;
    private readonly IoVec[] _iovecs;
    private readonly MMsgHdr[] _messages;
    private readonly SocketAddress?[] _destinations;
    private readonly int[] _lengths;
    private int _count;
    private bool _native;

    /// <param name="capacity">Datagrams one flush sends at most.</param>
    /// <param name="slotSize">The largest datagram, with any room a caller needs to grow it in place.</param>
    /// <param name="useSendMMsg">False: always the portable path (tests compare the two).</param>
    public BatchSender(Socket socket, int capacity, int slotSize, bool useSendMMsg = true)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _slots = new MessageSlots(capacity, slotSize);
        _iovecs = _slots.IoVecs;
        _messages = _slots.Messages;
        _destinations = new SocketAddress?[capacity];
        _lengths = new int[capacity];
        _native = useSendMMsg && SocketAddressIsNative();
    }

    public int Capacity => _messages.Length;

    /// <summary>Datagrams queued and not yet sent.</summary>
    public int Count => _count;

    public bool IsFull => _count == _messages.Length;

    /// <summary>Whether flushes go through sendmmsg (false once it has turned out to be missing).</summary>
    public bool UsesSendMMsg => _native;

    /// <summary>The next free slot, to write a datagram into; flush first when <see cref="IsFull"/>.</summary>
    public Span<byte> NextSlot
    {
        get
        {
            if (IsFull) throw new InvalidOperationException("The batch is full: flush it first.");
            return _slots.Slot(_count);
        }
    }

    /// <summary>Queues the first <paramref name="length"/> bytes written into <see cref="NextSlot"/> for
    /// <paramref name="to"/>, an address of the socket's family.</summary>
    public void Commit(int length, SocketAddress to)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)_slots.SlotSize, nameof(length));
        if (IsFull) throw new InvalidOperationException("The batch is full: flush it first.");
        if (to.Size > MaxAddressLength) throw new ArgumentException("Not an IPv4 or IPv6 address.", nameof(to));
        var i = _count++;
        _destinations[i] = to;
        _lengths[i] = length;
        if (!_native) return;
        to.Buffer.Span[..to.Size].CopyTo(_slots.Name(i));
        _messages[i].Header.NameLength = (uint)to.Size;
        _iovecs[i].Length = (nuint)length;
    }

    /// <summary>Sends everything queued; the batch is empty afterwards. Returns how many datagrams the kernel took.</summary>
    public int Flush()
    {
        var count = _count;
        if (count == 0) return 0;
        var sent = 0;
        var done = 0;
        try
        {
            if (_native) done = TrySendNative(count, ref sent);
            for (var i = done; i < count; i++)
            {
                if (SendOne(i)) sent++;
            }
        }
        finally
        {
            _count = 0;
            Array.Clear(_destinations, 0, count); // addresses of sessions that may since have closed
        }
        return sent;
    }

    private int TrySendNative(int count, ref int sent)
    {
        try
        {
            return SendNative(count, ref sent);
        }
        catch (EntryPointNotFoundException)
        {
            _native = false; // a C library older than the call
            return 0;
        }
    }

    /// <summary>sendmmsg until all are handled; returns how many it handled (the rest, if it proved missing, go one
    /// by one).</summary>
    private int SendNative(int count, ref int sent)
    {
        var done = 0;
        fixed (MMsgHdr* messages = _messages)
        {
            while (done < count)
            {
                var result = SendMMsg(_socket.SafeHandle, messages + done, (uint)(count - done), 0);
                if (result > 0)
                {
                    done += result;
                    sent += result;
                    continue;
                }
                switch (Marshal.GetLastPInvokeError())
                {
                    case EINTR:
                        continue;
                    case EAGAIN:
                        return done; // a non-blocking socket with a full buffer: SendTo knows how to wait on it
                    case ENOSYS:
                        _native = false;
                        return done;
                    default:
                        done++; // the first unsent one is what failed: drop it, send the rest
                        break;
                }
            }
        }
        return done;
    }

    private bool SendOne(int i)
    {
        try
        {
            _socket.SendTo(_slots.Slot(i)[.._lengths[i]], SocketFlags.None, _destinations[i]!);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
