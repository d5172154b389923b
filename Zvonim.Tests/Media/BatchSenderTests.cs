using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Zvonim.Media.Udp;

namespace Zvonim.Tests.Media;

/// <summary>The batch sender over real UDP sockets on loopback, through sendmmsg and through the portable fallback:
/// every destination gets exactly its own datagram.</summary>
public sealed class BatchSenderTests
{
    private const int SlotSize = 1520;

    private static Socket Bound(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static bool Ipv6Loopback()
    {
        if (!Socket.OSSupportsIPv6) return false;
        try
        {
            using var probe = Bound(IPAddress.IPv6Loopback);
            return true;
        }
        catch (SocketException)
        {
            return false; // e.g. a container with IPv6 disabled
        }
    }

    private static byte[] Datagram(int index, int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(index * 31 + i))];

    private static void Queue(BatchSender batch, byte[] datagram, SocketAddress to)
    {
        if (batch.IsFull) batch.Flush();
        datagram.CopyTo(batch.NextSlot);
        batch.Commit(datagram.Length, to);
    }

    /// <summary>What each receiver got: its datagrams in order, then nothing more for a short while.</summary>
    private static List<byte[]> Drain(Socket receiver, int expected)
    {
        var got = new List<byte[]>();
        var buffer = new byte[2048];
        for (var i = 0; i < expected; i++) got.Add(buffer.AsSpan(0, receiver.Receive(buffer)).ToArray());
        receiver.ReceiveTimeout = 50;
        try
        {
            got.Add(buffer.AsSpan(0, receiver.Receive(buffer)).ToArray());
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
        }
        return got;
    }

    private static void EachGetsItsOwn(IPAddress loopback, bool useSendMMsg, int destinations, int perDestination, int capacity)
    {
        using var sender = Bound(loopback);
        var receivers = Enumerable.Range(0, destinations).Select(_ => Bound(loopback)).ToList();
        try
        {
            var batch = new BatchSender(sender, capacity, SlotSize, useSendMMsg);
            Assert.Equal(useSendMMsg && OperatingSystem.IsLinux(), batch.UsesSendMMsg);
            var addresses = receivers.Select(r => r.LocalEndPoint!.Serialize()).ToList();
            for (var round = 0; round < perDestination; round++)
            {
                for (var d = 0; d < destinations; d++) Queue(batch, Datagram(d + round * destinations, 100 + d + round), addresses[d]);
            }
            batch.Flush();
            Assert.Equal(0, batch.Count);

            for (var d = 0; d < destinations; d++)
            {
                var expected = Enumerable.Range(0, perDestination).Select(round => Datagram(d + round * destinations, 100 + d + round)).ToList();
                Assert.Equal(expected, Drain(receivers[d], perDestination));
            }
        }
        finally
        {
            foreach (var receiver in receivers) receiver.Dispose();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Over_IPv4_each_destination_receives_exactly_its_datagram(bool useSendMMsg) =>
        EachGetsItsOwn(IPAddress.Loopback, useSendMMsg, destinations: 7, perDestination: 1, capacity: 64);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Over_IPv6_each_destination_receives_exactly_its_datagram(bool useSendMMsg)
    {
        if (!Ipv6Loopback()) return; // nothing to test where the machine has no IPv6 loopback
        EachGetsItsOwn(IPAddress.IPv6Loopback, useSendMMsg, destinations: 7, perDestination: 1, capacity: 64);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void More_datagrams_than_slots_go_out_over_several_flushes_in_order(bool useSendMMsg) =>
        EachGetsItsOwn(IPAddress.Loopback, useSendMMsg, destinations: 5, perDestination: 4, capacity: 3);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_destination_the_kernel_refuses_costs_only_its_own_datagram(bool useSendMMsg)
    {
        using var sender = Bound(IPAddress.Loopback);
        using var first = Bound(IPAddress.Loopback);
        using var last = Bound(IPAddress.Loopback);
        var batch = new BatchSender(sender, 8, SlotSize, useSendMMsg);
        Queue(batch, Datagram(1, 50), first.LocalEndPoint!.Serialize());
        Queue(batch, Datagram(2, 50), new IPEndPoint(IPAddress.Loopback, 0).Serialize()); // port 0: EINVAL
        Queue(batch, Datagram(3, 50), last.LocalEndPoint!.Serialize());

        Assert.Equal(2, batch.Flush());

        Assert.Equal(new[] { Datagram(1, 50) }, Drain(first, 1));
        Assert.Equal(new[] { Datagram(3, 50) }, Drain(last, 1));
    }

    [Fact]
    public void A_slot_not_committed_is_reused_and_nothing_is_sent_for_it()
    {
        using var sender = Bound(IPAddress.Loopback);
        using var receiver = Bound(IPAddress.Loopback);
        var batch = new BatchSender(sender, 4, SlotSize);
        Datagram(9, 40).CopyTo(batch.NextSlot); // written, then abandoned (a subscriber not yet connected)
        Queue(batch, Datagram(1, 30), receiver.LocalEndPoint!.Serialize());

        Assert.Equal(1, batch.Flush());
        Assert.Equal(new[] { Datagram(1, 30) }, Drain(receiver, 1));
    }

    [Fact]
    public void The_structs_have_the_C_layout_of_a_64_bit_Linux_and_socket_addresses_are_native_there()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8) return;
        Assert.Equal(16, Unsafe.SizeOf<LinuxUdp.IoVec>());
        Assert.Equal(56, Unsafe.SizeOf<LinuxUdp.MsgHdr>());
        Assert.Equal(64, Unsafe.SizeOf<LinuxUdp.MMsgHdr>());
        Assert.Equal(16, Unsafe.SizeOf<LinuxUdp.SockaddrIn>());
        Assert.Equal(28, Unsafe.SizeOf<LinuxUdp.SockaddrIn6>());
        Assert.True(LinuxUdp.SocketAddressIsNative());
    }

    [Fact]
    public void Queuing_and_flushing_allocate_nothing()
    {
        using var sender = Bound(IPAddress.Loopback);
        using var receiver = Bound(IPAddress.Loopback);
        receiver.ReceiveBufferSize = 1 << 20;
        var to = receiver.LocalEndPoint!.Serialize();
        var batch = new BatchSender(sender, 16, SlotSize);
        var payload = Datagram(1, 200);
        void Round()
        {
            for (var i = 0; i < 10; i++)
            {
                payload.CopyTo(batch.NextSlot);
                batch.Commit(payload.Length, to);
            }
            batch.Flush();
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(Round, rounds: 100));
    }
}
