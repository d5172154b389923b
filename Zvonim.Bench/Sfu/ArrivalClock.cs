using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Zvonim.Media.Udp.LinuxUdp;

namespace Zvonim.Bench.Sfu;

/// <summary>
/// When a datagram reached its socket, as the kernel stamped it (<c>SO_TIMESTAMPNS</c>, read with <c>recvmsg(2)</c>),
/// rather than when a receive thread got round to it. With 50 subscribers' threads on one core the latter measures the
/// load client's own scheduling (the 50th thread wakes after 49 others have decrypted their copies), which browsers
/// on their own machines would not add; the kernel's stamp is taken as the forwarder hands the copy to loopback
/// (<c>netdev_tstamp_prequeue</c>, on by default). The kernel turns stamping on for the machine a moment after the
/// first socket asks (deferred work): a datagram that arrives before then is stamped when it is read.
/// The socket must be blocking (used synchronously only): .NET makes a socket non-blocking for good once it is used
/// asynchronously, and then <see cref="Receive"/> would return -1 at once.
/// Times are the real-time clock in nanoseconds since the Unix epoch, the clock the kernel stamps with, so the
/// sender stamps its packets with <see cref="Now"/>.
/// </summary>
internal static unsafe class ArrivalClock
{
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35; // SO_TIMESTAMPNS_OLD = SCM_TIMESTAMPNS: a struct timespec of two longs
    private const int ControlLength = 64;

    /// <summary>Now, on the clock the kernel stamps arrivals with (100 ns resolution, the kernel's vDSO clock).</summary>
    public static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>Asks the kernel to stamp what arrives on <paramref name="socket"/>; false where it cannot (not Linux).</summary>
    public static bool TryEnable(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// One datagram into <paramref name="buffer"/> with its arrival time (0 if the kernel gave none); -1 when the
    /// socket's receive timeout passed first, so the caller can look at its stop flag.
    /// </summary>
    /// <exception cref="SocketException">The socket reported an error (e.g. ICMP for an earlier send).</exception>
    public static int Receive(Socket socket, Span<byte> buffer, out long arrival)
    {
        arrival = 0;
        var control = stackalloc byte[ControlLength];
        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = (nint)data, Length = (nuint)buffer.Length };
            while (true)
            {
                var message = new MsgHdr { Iov = (nint)(&iov), IovLength = 1, Control = (nint)control, ControlLength = ControlLength };
                var length = RecvMsg(socket.SafeHandle, &message, 0);
                if (length >= 0)
                {
                    arrival = ReadStamp(control, (int)message.ControlLength);
                    return (int)length;
                }
                var error = Marshal.GetLastPInvokeError();
                if (error == EINTR) continue;
                if (error == EAGAIN) return -1;
                throw Error(error);
            }
        }
    }

    /// <summary>The SCM_TIMESTAMPNS among the control messages (struct cmsghdr: a size_t length, level, type, then the
    /// data at the next pointer-size boundary).</summary>
    private static long ReadStamp(byte* control, int length)
    {
        var header = sizeof(nuint) + 2 * sizeof(int);
        var offset = 0;
        while (offset + header <= length)
        {
            var cmsgLength = (int)*(nuint*)(control + offset);
            if (cmsgLength < header) break;
            var level = *(int*)(control + offset + sizeof(nuint));
            var type = *(int*)(control + offset + sizeof(nuint) + sizeof(int));
            if (level == SolSocket && type == SoTimestampNs && cmsgLength >= header + 2 * sizeof(nint))
            {
                var seconds = (long)*(nint*)(control + offset + header);
                var nanos = (long)*(nint*)(control + offset + header + sizeof(nint));
                return seconds * 1_000_000_000 + nanos;
            }
            offset += (cmsgLength + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);
        }
        return 0;
    }
}
