using System.Net;
using System.Net.Sockets;
using Zvonim.Media.Udp;

namespace Zvonim.Bench.Sfu;

/// <summary>
/// The floor under the forwarder: one thread that sends every datagram it receives, as it came, to each subscriber,
/// through the same <c>recvmmsg</c>/<c>sendmmsg</c> batching and socket settings as <c>MediaEngine</c>'s packet thread,
/// but with no ICE, no SRTP, no RTP rewriting and no routing. Its CPU per copy is what the kernel and the batching
/// cost on this machine; whatever the engine does per packet can only add to it.
/// </summary>
internal sealed class UdpFloor : IDisposable
{
    public const string ThreadName = "zvonim-floor";

    private const int ReceiveCapacity = 16; // as the engine's
    private const int BatchCapacity = 64;
    private const int SlotSize = 1600;

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread _thread;
    private SocketAddress[] _subscribers = [];
    private volatile bool _stopping;
    private long _in, _out;

    public UdpFloor()
    {
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.SendBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        var before = ThreadCpu.Find(ThreadName);
        _thread = new Thread(Run) { IsBackground = true, Name = ThreadName };
        _thread.Start();
        ThreadId = ThreadCpu.FindNew(ThreadName, before);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The packet thread's native id, null where /proc cannot tell.</summary>
    public int? ThreadId { get; }

    public long In => Volatile.Read(ref _in);

    /// <summary>Copies the kernel took.</summary>
    public long Out => Volatile.Read(ref _out);

    /// <summary>From now on every datagram goes to these.</summary>
    public void ForwardTo(IEnumerable<IPEndPoint> subscribers) => Volatile.Write(ref _subscribers, [.. subscribers.Select(s => s.Serialize())]);

    private void Run()
    {
        var receiver = new BatchReceiver(_socket, ReceiveCapacity, SlotSize);
        var sender = new BatchSender(_socket, BatchCapacity, SlotSize);
        while (!_stopping)
        {
            int count;
            try
            {
                count = receiver.Receive();
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            var subscribers = Volatile.Read(ref _subscribers);
            long sent = 0;
            for (var i = 0; i < count; i++)
            {
                var slot = receiver.Slot(i, out var length);
                if (length <= 1) continue; // the wake-up byte
                Volatile.Write(ref _in, _in + 1);
                foreach (var to in subscribers)
                {
                    if (sender.IsFull) sent += sender.Flush();
                    slot[..length].CopyTo(sender.NextSlot);
                    sender.Commit(length, to);
                }
            }
            try
            {
                sent += sender.Flush();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Volatile.Write(ref _out, _out + sent);
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        try
        {
            // Closing a socket does not wake a thread blocked in recvmmsg on it: a datagram does.
            _socket.SendTo(new byte[1], EndPoint);
        }
        catch (SocketException)
        {
        }
        _thread.Join(TimeSpan.FromSeconds(2));
        _socket.Dispose();
    }
}
