using System.Net;
using System.Net.Sockets;
using Zvonim.Media.Udp;

namespace Zvonim.Tests.Media;

/// <summary>The batch receiver over real UDP sockets on loopback, through recvmmsg and through the portable fallback:
/// queued datagrams come back whole, in order, each with the address it came from.</summary>
public sealed class BatchReceiverTests
{
    private static Socket Bound(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static byte[] Datagram(int index, int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(index * 17 + i))];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Queued_datagrams_are_read_in_order_with_their_sources(bool useRecvMMsg)
    {
        using var server = Bound(IPAddress.Loopback);
        var senders = Enumerable.Range(0, 3).Select(_ => Bound(IPAddress.Loopback)).ToList();
        try
        {
            var receiver = new BatchReceiver(server, capacity: 4, slotSize: 1520, useRecvMMsg);
            Assert.Equal(useRecvMMsg && OperatingSystem.IsLinux(), receiver.UsesRecvMMsg);
            for (var i = 0; i < 6; i++) senders[i % 3].SendTo(Datagram(i, 40 + i), server.LocalEndPoint!);

            var got = new List<(byte[] Datagram, IPEndPoint From)>();
            var from = new SocketAddress(AddressFamily.InterNetwork);
            while (got.Count < 6)
            {
                var count = receiver.Receive();
                Assert.InRange(count, 1, useRecvMMsg ? 4 : 1);
                for (var i = 0; i < count; i++)
                {
                    var slot = receiver.Slot(i, out var length);
                    Assert.True(receiver.TryGetSource(i, from));
                    got.Add((slot[..length].ToArray(), (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from)));
                }
            }

            for (var i = 0; i < 6; i++)
            {
                Assert.Equal(Datagram(i, 40 + i), got[i].Datagram);
                Assert.Equal(senders[i % 3].LocalEndPoint, got[i].From);
            }
        }
        finally
        {
            foreach (var sender in senders) sender.Dispose();
        }
    }

    [Fact]
    public async Task A_socket_once_used_asynchronously_is_still_waited_on()
    {
        using var server = Bound(IPAddress.Loopback);
        using var sender = Bound(IPAddress.Loopback);
        // .NET turns the descriptor non-blocking for its first asynchronous operation and keeps it so.
        sender.SendTo(Datagram(0, 10), server.LocalEndPoint!);
        await server.ReceiveFromAsync(new byte[64], new IPEndPoint(IPAddress.Any, 0));
        var receiver = new BatchReceiver(server, capacity: 4, slotSize: 1520);

        var receiving = Task.Run(receiver.Receive);
        await Task.Delay(100);
        Assert.False(receiving.IsCompleted);
        sender.SendTo(Datagram(1, 20), server.LocalEndPoint!);

        Assert.Equal(1, await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Datagram(1, 20), receiver.Slot(0, out var length)[..length].ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_icmp_error_for_an_earlier_send_is_reported_as_net_reports_it(bool useRecvMMsg)
    {
        using var server = Bound(IPAddress.Loopback);
        using var closed = Bound(IPAddress.Loopback);
        var nobody = closed.LocalEndPoint!;
        closed.Close(); // a port nobody listens on: the kernel answers port unreachable
        server.Connect(nobody); // only a connected UDP socket hears ICMP errors
        server.Send(Datagram(1, 10));

        var receiver = new BatchReceiver(server, capacity: 4, slotSize: 1520, useRecvMMsg);
        var error = Assert.Throws<SocketException>(() => receiver.Receive());
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public void Receiving_allocates_nothing()
    {
        using var server = Bound(IPAddress.Loopback);
        using var sender = Bound(IPAddress.Loopback);
        var receiver = new BatchReceiver(server, capacity: 8, slotSize: 1520);
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var payload = Datagram(1, 100);
        var to = server.LocalEndPoint!.Serialize();
        void Round()
        {
            sender.SendTo(payload, SocketFlags.None, to);
            var count = receiver.Receive();
            for (var j = 0; j < count; j++) receiver.TryGetSource(j, from);
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(Round, rounds: 100));
    }
}
