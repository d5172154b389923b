using System.Runtime.CompilerServices;
using static Zvonim.Media.Udp.LinuxUdp;

namespace Zvonim.Media.Udp;

/// <summary>
/// Datagram slots for <c>sendmmsg</c> / <c>recvmmsg</c>: one pinned array of buffers, one of socket addresses, and
/// the <c>iovec</c>s and <c>mmsghdr</c>s pointing into them, wired to each other once, so a batch of system calls
/// allocates and pins nothing.
/// </summary>
internal sealed unsafe class MessageSlots
{
    public MessageSlots(int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        SlotSize = slotSize;
        Buffers = GC.AllocateArray<byte>(capacity * slotSize, pinned: true);
        Names = GC.AllocateArray<byte>(capacity * MaxAddressLength, pinned: true);
        IoVecs = GC.AllocateArray<IoVec>(capacity, pinned: true);
        Messages = GC.AllocateArray<MMsgHdr>(capacity, pinned: true);
        for (var i = 0; i < capacity; i++)
        {
            IoVecs[i] = new IoVec { Base = (nint)Unsafe.AsPointer(ref Buffers[i * slotSize]), Length = (nuint)slotSize };
            Messages[i].Header.Name = (nint)Unsafe.AsPointer(ref Names[i * MaxAddressLength]);
            Messages[i].Header.Iov = (nint)Unsafe.AsPointer(ref IoVecs[i]);
            Messages[i].Header.IovLength = 1;
        }
    }

    public int SlotSize { get; }

    public int Capacity => Messages.Length;

    public byte[] Buffers { get; }

    /// <summary>Each slot's socket address, <see cref="LinuxUdp.MaxAddressLength"/> bytes apart.</summary>
    public byte[] Names { get; }

    public IoVec[] IoVecs { get; }

    public MMsgHdr[] Messages { get; }

    public Span<byte> Slot(int index) => Buffers.AsSpan(index * SlotSize, SlotSize);

    public Span<byte> Name(int index) => Names.AsSpan(index * MaxAddressLength, MaxAddressLength);
}
