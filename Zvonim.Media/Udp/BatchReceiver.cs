using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Zvonim.Media.Udp.LinuxUdp;

namespace Zvonim.Media.Udp;

/// <summary>
/// Reads a socket several datagrams at a time: on Linux one <c>recvmmsg(2)</c> waits for the first datagram and takes
/// whatever else is already queued; elsewhere (or without the call) one <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/>
/// per call. A busy packet thread thus pays one system call per burst, and an idle one waits exactly as before.
/// </summary>
/// <remarks>One thread at a time; the slots and headers are pinned and wired once, so receiving allocates nothing.</remarks>
internal sealed unsafe class BatchReceiver
{
    private readonly Socket _socket;
    private readonly MessageSlots _slots;
    private readonly MMsgHdr[] _messages;
    private readonly SocketAddress _fallbackFrom;
    private bool _native;

    /// <param name="capacity">Datagrams one call takes at most.</param>
    /// <param name="slotSize">The largest datagram kept whole (a longer one is cut, as by ReceiveFrom).</param>
    public BatchReceiver(Socket socket, int capacity, int slotSize, bool useRecvMMsg = true)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _slots = new MessageSlots(capacity, slotSize);
        _messages = _slots.Messages;
        _fallbackFrom = new SocketAddress(socket.AddressFamily);
        _native = useRecvMMsg && SocketAddressIsNative();
    }

    public int Capacity => _messages.Length;

    public bool UsesRecvMMsg => _native;

    /// <summary>Waits for at least one datagram and returns how many were read (at least 1).</summary>
    /// <exception cref="SocketException">The socket reported an error (e.g. ICMP for an earlier send).</exception>
    public int Receive()
    {
        if (_native)
        {
            var count = TryReceiveNative();
            if (count > 0) return count;
        }
        var length = _socket.ReceiveFrom(_slots.Slot(0), SocketFlags.None, _fallbackFrom);
        _messages[0].Length = (uint)length;
        _messages[0].Header.NameLength = (uint)_fallbackFrom.Size;
        _fallbackFrom.Buffer.Span[.._fallbackFrom.Size].CopyTo(_slots.Name(0));
        return 1;
    }

    /// <summary>The <paramref name="index"/>th datagram of the last <see cref="Receive"/>, in a slot it may be changed
    /// in (up to the slot's size).</summary>
    public Span<byte> Slot(int index, out int length)
    {
        length = (int)_messages[index].Length;
        return _slots.Slot(index);
    }

    /// <summary>Writes where the <paramref name="index"/>th datagram came from into <paramref name="into"/>; false when
    /// that address does not fit it (another family).</summary>
    public bool TryGetSource(int index, SocketAddress into)
    {
        var length = (int)_messages[index].Header.NameLength;
        if (length > into.Buffer.Length || length > MaxAddressLength) return false;
        _slots.Name(index)[..length].CopyTo(into.Buffer.Span);
        into.Size = length;
        return true;
    }

    /// <summary>recvmmsg; 0 when nothing was waiting on a non-blocking socket (the portable path waits for this one) or
    /// the call turned out to be missing (then the portable path from now on).</summary>
    private int TryReceiveNative()
    {
        for (var i = 0; i < _messages.Length; i++) _messages[i].Header.NameLength = MaxAddressLength; // the kernel writes back each one's
        try
        {
            fixed (MMsgHdr* messages = _messages)
            {
                while (true)
                {
                    var count = RecvMMsg(_socket.SafeHandle, messages, (uint)_messages.Length, MSG_WAITFORONE, 0);
                    if (count > 0) return count;
                    var error = Marshal.GetLastPInvokeError();
                    if (error == EINTR) continue;
                    // Non-blocking (.NET makes a socket so once it has been used asynchronously): ReceiveFrom knows
                    // how to wait on it, this call does not.
                    if (error == EAGAIN) return 0;
                    if (error == ENOSYS) break;
                    throw Error(error);
                }
            }
        }
        catch (EntryPointNotFoundException)
        {
        }
        _native = false;
        return 0;
    }
}
