using System.Net;
using System.Security.Cryptography;
using System.Text;
using Zvonim.Media.Ice;
using Zvonim.Media.Stun;

namespace Zvonim.Tests.Media;

/// <summary>The ICE-lite responder against connectivity checks built as Chromium builds them, and everything it must
/// ignore.</summary>
public sealed class IceLiteTests
{
    private const string ServerUfrag = "srv";
    private const string ServerPwd = "server-password-24chars!";
    private static readonly IPEndPoint Browser = new(IPAddress.Parse("198.51.100.7"), 53_211);

    internal sealed record Check(
        string Username = "srv:cli", string Password = ServerPwd, bool UseCandidate = true, bool Controlling = true,
        bool Integrity = true, bool Fingerprint = true, ushort Type = StunMessage.BindingRequest, bool AfterIntegrity = false);

    /// <summary>A Binding request laid out as Chromium sends it: USERNAME, GOOG-NETWORK-INFO, ICE-CONTROLLING,
    /// USE-CANDIDATE, PRIORITY, MESSAGE-INTEGRITY (under the server's password), FINGERPRINT.</summary>
    internal static byte[] Request(Check check, byte[]? transactionId = null)
    {
        var attributes = new List<(ushort Type, byte[] Value)>
        {
            (StunMessage.Username, Encoding.UTF8.GetBytes(check.Username)),
            (0xC057, [0x00, 0x01, 0x00, 0x0A]), // GOOG-NETWORK-INFO: network id, cost
        };
        if (check.Controlling) attributes.Add((0x802A, [1, 2, 3, 4, 5, 6, 7, 8]));
        if (check.UseCandidate) attributes.Add((0x0025, []));
        attributes.Add((0x0024, [0x6E, 0x7F, 0x1E, 0xFF]));

        var message = new List<byte>();
        message.AddRange([(byte)(check.Type >> 8), (byte)check.Type, 0, 0, 0x21, 0x12, 0xA4, 0x42]);
        message.AddRange(transactionId ?? RandomNumberGenerator.GetBytes(12));
        foreach (var (type, value) in attributes) Append(message, type, value);
        if (check.Integrity)
        {
            SetLength(message, message.Count - 20 + 24);
            var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(check.Password), message.ToArray());
            Append(message, StunMessage.MessageIntegrity, mac);
        }
        // RFC 5389 §15.4: not covered by MESSAGE-INTEGRITY, so it must be ignored.
        if (check.AfterIntegrity) Append(message, 0x0025, []);
        if (check.Fingerprint)
        {
            SetLength(message, message.Count - 20 + 8);
            var crc = Crc32.Compute(message.ToArray()) ^ StunMessage.FingerprintXor;
            Append(message, StunMessage.Fingerprint, [(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
        }
        SetLength(message, message.Count - 20);
        return [.. message];
    }

    private static void Append(List<byte> message, ushort type, byte[] value)
    {
        message.AddRange([(byte)(type >> 8), (byte)type, (byte)(value.Length >> 8), (byte)value.Length]);
        message.AddRange(value);
        for (var i = value.Length; i % 4 != 0; i++) message.Add(0);
    }

    private static void SetLength(List<byte> message, int length)
    {
        message[2] = (byte)(length >> 8);
        message[3] = (byte)length;
    }

    private static IceLiteResponder Responder(string? remote = "cli") => new(ServerUfrag, ServerPwd, remote);

    [Theory]
    [InlineData("198.51.100.7", 53211)]
    [InlineData("2001:db8::7", 40000)]
    public void A_chromium_check_is_answered_and_the_answer_verifies(string address, int port)
    {
        var from = new IPEndPoint(IPAddress.Parse(address), port);
        var transactionId = RandomNumberGenerator.GetBytes(12);
        var response = new byte[IceLiteResponder.MaxResponseLength];

        Assert.True(Responder().TryAnswer(Request(new Check(), transactionId), from, response, out var length, out var useCandidate));
        Assert.True(useCandidate);

        var answer = StunMessage.Read(response.AsSpan(0, length))!;
        Assert.NotNull(answer);
        Assert.Equal(StunMessage.BindingSuccess, answer.Type);
        Assert.Equal(transactionId, answer.TransactionId.ToArray());
        Assert.True(answer.IntegrityValid(Encoding.UTF8.GetBytes(ServerPwd)));
        Assert.False(answer.IntegrityValid("another password"u8));
        Assert.True(answer.Has(StunMessage.Fingerprint));
        Assert.True(answer.FingerprintValid());
        Assert.Equal(from, answer.XorMapped());
        Assert.Equal([StunMessage.XorMappedAddress, StunMessage.MessageIntegrity, StunMessage.Fingerprint], answer.AttributeTypes);
    }

    [Fact]
    public void The_check_reports_nomination_role_priority_and_remote_ufrag()
    {
        var response = new byte[IceLiteResponder.MaxResponseLength];
        Assert.True(Responder().TryAnswerCheck(Request(new Check()), Browser, response, out _, out var request));
        Assert.True(request.UseCandidate);
        Assert.True(request.IceControlling);
        Assert.False(request.IceControlled);
        Assert.Equal(0x6E7F1EFFu, request.Priority);
        Assert.Equal("cli", request.RemoteUfrag);

        // A check before nomination (Chromium's first ones, and consent freshness) is answered without USE-CANDIDATE.
        Assert.True(Responder().TryAnswer(Request(new Check(UseCandidate: false)), Browser, response, out _, out var nominated));
        Assert.False(nominated);

        // USE-CANDIDATE after MESSAGE-INTEGRITY is not covered by it and does not count.
        Assert.True(Responder().TryAnswer(Request(new Check(UseCandidate: false, AfterIntegrity: true)), Browser, response, out _, out nominated));
        Assert.False(nominated);
    }

    [Fact]
    public void While_the_remote_ufrag_is_unknown_any_remote_part_is_accepted_and_reported()
    {
        var responder = Responder(remote: null);
        var response = new byte[IceLiteResponder.MaxResponseLength];
        Assert.True(responder.TryAnswerCheck(Request(new Check(Username: "srv:EarlyBird")), Browser, response, out _, out var request));
        Assert.Equal("EarlyBird", request.RemoteUfrag);

        responder.RemoteUfrag = "cli";
        Assert.False(responder.TryAnswer(Request(new Check(Username: "srv:EarlyBird")), Browser, response, out _, out bool _));
        Assert.True(responder.TryAnswer(Request(new Check()), Browser, response, out _, out bool _));
    }

    [Fact]
    public void An_ipv4_sender_seen_through_a_dual_stack_socket_is_told_its_ipv4_address()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("198.51.100.7").MapToIPv6(), 53_211);
        var response = new byte[IceLiteResponder.MaxResponseLength];
        Assert.True(Responder().TryAnswer(Request(new Check()), mapped, response, out var length, out bool _));
        Assert.Equal(Browser, StunMessage.Read(response.AsSpan(0, length))!.XorMapped());
    }

    public static TheoryData<string, byte[]> Ignored()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "wrong password", Request(new Check(Password: "not-the-server-password!")) },
            { "wrong local ufrag", Request(new Check(Username: "xyz:cli")) },
            { "local ufrag as a prefix only", Request(new Check(Username: "srvx:cli")) },
            { "wrong remote ufrag", Request(new Check(Username: "srv:eve")) },
            { "empty remote ufrag", Request(new Check(Username: "srv:")) },
            { "no colon", Request(new Check(Username: "srv")) },
            { "the ufrags swapped", Request(new Check(Username: "cli:srv")) },
            { "no fingerprint", Request(new Check(Fingerprint: false)) },
            { "no message integrity", Request(new Check(Integrity: false)) },
            { "a binding indication", Request(new Check(Type: 0x0011)) },
            { "a binding success", Request(new Check(Type: StunMessage.BindingSuccess)) },
            { "not stun", "GET / HTTP/1.1\r\n\r\n"u8.ToArray() },
            { "empty", [] },
            { "rtp", [0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1] },
        };
        var badFingerprint = Request(new Check());
        badFingerprint[^1] ^= 1;
        data.Add("a wrong fingerprint", badFingerprint);
        var changedAfterSigning = Request(new Check());
        changedAfterSigning[30] ^= 1; // the last letter of USERNAME: integrity and fingerprint both break
        data.Add("a changed byte", changedAfterSigning);
        var truncated = Request(new Check());
        data.Add("truncated", truncated[..^8]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Ignored))]
    public void Anything_but_a_valid_check_for_this_session_is_ignored(string what, byte[] datagram)
    {
        var response = new byte[IceLiteResponder.MaxResponseLength];
        Assert.False(Responder().TryAnswer(datagram, Browser, response, out var length, out bool useCandidate), what);
        Assert.Equal(0, length);
        Assert.False(useCandidate);
    }

    [Fact]
    public void A_response_buffer_too_small_is_no_answer_rather_than_an_exception()
    {
        var request = Request(new Check());
        Assert.False(Responder().TryAnswer(request, Browser, new byte[63], out _, out bool _));
        Assert.True(Responder().TryAnswer(request, Browser, new byte[64], out var length, out bool _));
        Assert.Equal(64, length); // IPv4: 20 header + 12 address + 24 integrity + 8 fingerprint
    }

    [Fact]
    public void Random_mutations_of_a_check_never_throw_and_never_get_answered()
    {
        var good = Request(new Check());
        var random = new Random(8445);
        var response = new byte[IceLiteResponder.MaxResponseLength];
        var responder = Responder();
        for (var round = 0; round < 20_000; round++)
        {
            var datagram = (byte[])good.Clone();
            var index = random.Next(datagram.Length);
            var value = (byte)random.Next(256);
            if (datagram[index] == value) continue;
            datagram[index] = value;
            var cut = datagram.AsSpan(0, random.Next(2) == 0 ? datagram.Length : random.Next(datagram.Length));
            // Integrity covers every byte before it (header, transaction id, padding), the fingerprint the rest.
            Assert.False(responder.TryAnswer(cut, Browser, response, out _, out bool _));
            UsernameIndex.TryGetLocalUfrag(cut, out _);
        }
    }

    [Fact]
    public void The_local_ufrag_is_read_from_a_check_to_find_its_session()
    {
        Assert.True(UsernameIndex.TryGetLocalUfrag(Request(new Check(Username: "Ab+/9xyZ:remote")), out var ufrag));
        Assert.Equal("Ab+/9xyZ", ufrag);
        Assert.True(UsernameIndex.TryGetLocalUfragBytes(Request(new Check()), out var bytes));
        Assert.Equal("srv"u8.ToArray(), bytes.ToArray());

        Assert.False(UsernameIndex.TryGetLocalUfrag(Request(new Check(Username: ":cli")), out _));
        Assert.False(UsernameIndex.TryGetLocalUfrag(Request(new Check(Username: "nocolon")), out _));
        Assert.False(UsernameIndex.TryGetLocalUfrag(Request(new Check(Type: 0x0011)), out _));
        Assert.False(UsernameIndex.TryGetLocalUfrag([0x80, 0x60, 0, 1], out _));
        var truncated = Request(new Check());
        Assert.False(UsernameIndex.TryGetLocalUfrag(truncated[..^4], out _));
    }

    [Fact]
    public void Credentials_are_random_ice_chars_of_the_lengths_rfc_8839_asks_for()
    {
        var credentials = IceCredentials.Create();
        Assert.Equal(8, credentials.Ufrag.Length);
        Assert.Equal(24, credentials.Pwd.Length);
        Assert.All(credentials.Ufrag + credentials.Pwd, c => Assert.Contains(c, IceCredentials.Alphabet));
        Assert.Equal(64, IceCredentials.Alphabet.Distinct().Count());
        Assert.NotEqual(credentials, IceCredentials.Create());
        Assert.DoesNotContain(credentials.Pwd, credentials.ToString());

        // And they work end to end.
        var responder = new IceLiteResponder(credentials, "cli");
        var request = Request(new Check(Username: credentials.Ufrag + ":cli", Password: credentials.Pwd));
        Assert.True(responder.TryAnswer(request, Browser, new byte[IceLiteResponder.MaxResponseLength], out _, out bool _));
    }

    [Fact]
    public void The_responder_is_configured_with_a_usable_ufrag_only()
    {
        Assert.Throws<ArgumentException>(() => new IceLiteResponder("a:b", ServerPwd));
        Assert.Throws<ArgumentException>(() => new IceLiteResponder("", ServerPwd));
        Assert.Throws<ArgumentException>(() => new IceLiteResponder("srv", ""));
        Assert.Equal(IceLiteResponder.MaxResponseLength, StunMessage.HeaderLength + 24 + 24 + 8);
    }

    [Fact]
    public void Answering_a_check_allocates_nothing_once_the_remote_ufrag_is_known()
    {
        var responder = Responder();
        var request = Request(new Check());
        var response = new byte[IceLiteResponder.MaxResponseLength];
        Assert.True(responder.TryAnswer(request, Browser, response, out _, out bool _));
        Assert.Equal(0, SteadyState.AllocatedBytes(() => responder.TryAnswer(request, Browser, response, out _, out bool _), rounds: 1000));
    }
}
