using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Zvonim.Media.Udp;

/// <summary>
/// The few Linux socket calls .NET does not offer: <c>sendmmsg(2)</c> and <c>recvmmsg(2)</c>, several datagrams in
/// one system call, and <c>recvmsg(2)</c> for a datagram's control messages. The structs follow the C declarations with pointer-sized fields as <c>nint</c>/<c>nuint</c>, so
/// sequential layout gives the C layout on every Linux ABI (x64 and arm64: iovec 16 bytes, msghdr 56, mmsghdr 64;
/// 32-bit arm: 8, 28, 32). musl declares <c>msg_iovlen</c> and <c>msg_controllen</c> as an int and padding, which on
/// little-endian machines lies where glibc's size_t does.
/// </summary>
internal static unsafe partial class LinuxUdp
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOSYS = 38;

    /// <summary>A failed call's errno as the <see cref="SocketException"/> .NET's own socket calls throw: the
    /// exception's constructor takes a <see cref="SocketError"/>, not an errno, so the errors a UDP receive reports are
    /// named here (an ICMP error for an earlier send, mostly); any other is a plain socket error carrying the errno.</summary>
    public static SocketException Error(int errno) => new((int)(errno switch
    {
        111 => SocketError.ConnectionRefused, // ECONNREFUSED: ICMP port unreachable
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        90 => SocketError.MessageSize, // EMSGSIZE
        105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
        12 => SocketError.NoBufferSpaceAvailable, // ENOMEM
        9 => SocketError.OperationAborted, // EBADF: closed under the call
        _ => SocketError.SocketError,
    }), $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    /// <summary>recvmmsg: block for the first datagram only, then take what is already queued.</summary>
    public const int MSG_WAITFORONE = 0x10000;

    public const ushort AF_INET = 2;
    public const ushort AF_INET6 = 10;

    /// <summary>The largest socket address either family needs (sockaddr_in6).</summary>
    public const int MaxAddressLength = 28;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public nint Name;
        public uint NameLength;
        public nint Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;

        /// <summary>Bytes sent or received for this message, set by the kernel.</summary>
        public uint Length;
    }

    /// <summary>struct sockaddr_in: family in host order, port and address in network order, 8 bytes of zero.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint AddressBigEndian;
        public ulong Zero;
    }

    /// <summary>struct sockaddr_in6.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrIn6
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint FlowInfo;
        public fixed byte Address[16];
        public uint ScopeId;
    }

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(SafeHandle socket, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(SafeHandle socket, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(SafeHandle socket, MMsgHdr* messages, uint count, int flags, nint timeout);

    /// <summary>
    /// Whether a <see cref="SocketAddress"/>'s buffer is the kernel's own sockaddr here, so it can be handed to the
    /// kernel as it is. .NET keeps it so on Linux; checked against the C layout once rather than assumed.
    /// </summary>
    public static bool SocketAddressIsNative()
    {
        if (!OperatingSystem.IsLinux()) return false;
        var v4 = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0x1234).Serialize();
        var in4 = new SockaddrIn { Family = AF_INET, PortBigEndian = 0x3412, AddressBigEndian = 0x010200C0 };
        if (v4.Size != sizeof(SockaddrIn) || !v4.Buffer.Span[..v4.Size].SequenceEqual(new ReadOnlySpan<byte>(&in4, sizeof(SockaddrIn))))
            return false;
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 0x1234).Serialize();
        var in6 = new SockaddrIn6 { Family = AF_INET6, PortBigEndian = 0x3412 };
        IPAddress.Parse("2001:db8::1").TryWriteBytes(new Span<byte>(in6.Address, 16), out _);
        return v6.Size == sizeof(SockaddrIn6) && v6.Buffer.Span[..v6.Size].SequenceEqual(new ReadOnlySpan<byte>(&in6, sizeof(SockaddrIn6)));
    }
}
