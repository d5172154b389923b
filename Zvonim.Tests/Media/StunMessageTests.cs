using System.Net;
using System.Text;
using Zvonim.Media.Stun;

namespace Zvonim.Tests.Media;

/// <summary>STUN messages against the test vectors of RFC 5769 (§2.1–2.3), byte for byte as the RFC prints them.</summary>
public sealed class StunMessageTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(char.IsAsciiHexDigit)));

    private static readonly byte[] Request = Hex("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """);

    private static readonly byte[] Ipv4Response = Hex("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """);

    private static readonly byte[] Ipv6Response = Hex("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """);

    private static readonly byte[] Password = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");

    [Fact]
    public void The_sample_request_reads_with_its_username_a_valid_fingerprint_and_valid_integrity()
    {
        var request = StunMessage.Read(Request)!;
        Assert.Equal(StunMessage.BindingRequest, request.Type);
        Assert.Equal("evtj:h6vY", Encoding.UTF8.GetString(request.Attribute(StunMessage.Username)));
        Assert.Equal("STUN test client", Encoding.UTF8.GetString(request.Attribute(StunMessage.Software)));
        Assert.True(request.FingerprintValid());
        Assert.True(request.IntegrityValid(Password));
        Assert.False(request.IntegrityValid("not the password"u8));
    }

    [Fact]
    public void The_sample_responses_give_the_addresses_the_rfc_states()
    {
        var ipv4 = StunMessage.Read(Ipv4Response)!;
        Assert.Equal(StunMessage.BindingSuccess, ipv4.Type);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), ipv4.XorMapped());
        Assert.True(ipv4.FingerprintValid());
        Assert.True(ipv4.IntegrityValid(Password));

        var ipv6 = StunMessage.Read(Ipv6Response)!;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), ipv6.XorMapped());
        Assert.True(ipv6.FingerprintValid());
    }

    [Fact]
    public void A_changed_byte_breaks_the_fingerprint_and_malformed_datagrams_are_not_messages()
    {
        var changed = (byte[])Request.Clone();
        changed[30] ^= 0x01;
        Assert.False(StunMessage.Read(changed)!.FingerprintValid());
        Assert.Null(StunMessage.Read(Request.AsSpan(0, 19)));            // shorter than a header
        Assert.Null(StunMessage.Read(Request.AsSpan(0, Request.Length - 4))); // length field disagrees
        var notStun = (byte[])Request.Clone();
        notStun[4] = 0; // no magic cookie
        Assert.Null(StunMessage.Read(notStun));
        Assert.Null(StunMessage.Read("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8));
    }

    [Theory]
    [InlineData("203.0.113.9", 40000)]
    [InlineData("2001:db8::42", 50001)]
    public void A_binding_response_carries_the_sender_address_back_and_a_valid_fingerprint(string address, int port)
    {
        var request = StunMessage.Read(Request)!;
        var from = new IPEndPoint(IPAddress.Parse(address), port);
        var response = StunMessage.Read(StunMessage.BindingResponse(request.TransactionId, from, "Zvonim"))!;
        Assert.Equal(StunMessage.BindingSuccess, response.Type);
        Assert.Equal(request.TransactionId.ToArray(), response.TransactionId.ToArray());
        Assert.Equal(from, response.XorMapped());
        Assert.True(response.FingerprintValid());
        Assert.Equal("Zvonim", Encoding.UTF8.GetString(response.Attribute(StunMessage.Software)));
    }
}
