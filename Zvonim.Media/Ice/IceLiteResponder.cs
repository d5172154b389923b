using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Zvonim.Media.Stun;

namespace Zvonim.Media.Ice;

/// <summary>
/// The ICE-lite side of one session (RFC 8445 §2.5): it never sends checks, only answers the browser's. A Binding
/// request is answered when its USERNAME is "localUfrag:remoteUfrag", its MESSAGE-INTEGRITY verifies under the local
/// password and its FINGERPRINT is right; the answer is a Binding success with XOR-MAPPED-ADDRESS (where the request
/// came from), MESSAGE-INTEGRITY under the same password and FINGERPRINT (RFC 8445 §7.3). Anything else is ignored:
/// no error responses, so the port tells a prober nothing and cannot be used to reflect traffic at a third party.
/// </summary>
/// <remarks>Allocation-free for a session whose remote ufrag is known. Safe to share between the socket loop that
/// answers and the signalling code that sets <see cref="RemoteUfrag"/>.</remarks>
public sealed class IceLiteResponder
{
    /// <summary>Room a response needs at most: header, XOR-MAPPED-ADDRESS for IPv6, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    public const int MaxResponseLength = StunMessage.HeaderLength + 4 + 20 + 4 + 20 + 4 + 4;

    /// <summary>Requests up to this size are checked on the stack; larger ones (never seen from a browser) borrow.</summary>
    private const int StackLimit = 512;

    private readonly byte[] _localUfrag;
    private readonly byte[] _key;
    private volatile string? _remoteUfrag;

    public IceLiteResponder(string localUfrag, string localPwd, string? remoteUfrag = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(localUfrag);
        ArgumentException.ThrowIfNullOrEmpty(localPwd);
        if (!Ascii.IsValid(localUfrag) || localUfrag.Contains(':'))
            throw new ArgumentException("An ICE ufrag is ASCII without ':'.", nameof(localUfrag));
        LocalUfrag = localUfrag;
        _localUfrag = Encoding.ASCII.GetBytes(localUfrag);
        // The short-term credential key is the password itself (RFC 5389 §15.4; ice-chars need no SASLprep).
        _key = Encoding.UTF8.GetBytes(localPwd);
        RemoteUfrag = remoteUfrag;
    }

    public IceLiteResponder(IceCredentials local, string? remoteUfrag = null) : this(local.Ufrag, local.Pwd, remoteUfrag) { }

    public string LocalUfrag { get; }

    /// <summary>The remote description's a=ice-ufrag; null until it is known, and then any remote part is accepted.</summary>
    public string? RemoteUfrag
    {
        get => _remoteUfrag;
        set => _remoteUfrag = string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Answers <paramref name="datagram"/> into <paramref name="response"/> if it is a valid check for this
    /// session (see the class summary). False, with nothing to send, for anything else.</summary>
    public bool TryAnswer(ReadOnlySpan<byte> datagram, IPEndPoint from, Span<byte> response, out int length, out bool useCandidate)
    {
        var answered = TryAnswerCheck(datagram, from, response, out length, out var request);
        useCandidate = request.UseCandidate;
        return answered;
    }

    /// <inheritdoc cref="TryAnswer(ReadOnlySpan{byte}, IPEndPoint, Span{byte}, out int, out bool)"/>
    /// <remarks>Also gives what else the check said: ICE-CONTROLLING, PRIORITY and the remote ufrag.</remarks>
    public bool TryAnswerCheck(ReadOnlySpan<byte> datagram, IPEndPoint from, Span<byte> response, out int length, out IceBindingRequest request)
    {
        length = 0;
        request = default;
        if (!IceStun.TryReadBindingRequest(datagram, out var stun) || stun.IntegrityOffset < 0) return false;
        if (!stun.FingerprintValid(datagram)) return false;
        var remote = _remoteUfrag;
        if (!UsernameMatches(stun.Username(datagram), remote, out var remoteStart)) return false;
        if (!IntegrityValid(datagram, stun.IntegrityOffset, _key)) return false;

        length = WriteSuccess(datagram.Slice(8, 12), from, _key, response);
        if (length == 0) return false;
        request = new IceBindingRequest
        {
            UseCandidate = stun.HasUseCandidate,
            IceControlling = stun.HasIceControlling,
            IceControlled = stun.HasIceControlled,
            Priority = stun.PriorityValue,
            RemoteUfrag = remote ?? Encoding.UTF8.GetString(stun.Username(datagram)[remoteStart..]),
        };
        return true;
    }

    /// <summary>"local:remote", with the remote part equal to <paramref name="remote"/> when that is known and not
    /// empty either way.</summary>
    private bool UsernameMatches(ReadOnlySpan<byte> username, string? remote, out int remoteStart)
    {
        remoteStart = _localUfrag.Length + 1;
        if (username.Length <= remoteStart || !username.StartsWith(_localUfrag) || username[_localUfrag.Length] != (byte)':')
            return false;
        var remotePart = username[remoteStart..];
        if (remote is null) return true;
        if (remotePart.Length != remote.Length) return false;
        for (var i = 0; i < remote.Length; i++)
            if (remote[i] >= 0x80 || remotePart[i] != remote[i]) return false;
        return true;
    }

    /// <summary>HMAC-SHA1 under the key of the message up to MESSAGE-INTEGRITY, with the header's length counting to
    /// MESSAGE-INTEGRITY's end (RFC 5389 §15.4), compared in constant time.</summary>
    private static bool IntegrityValid(ReadOnlySpan<byte> datagram, int integrityOffset, byte[] key)
    {
        byte[]? rented = null;
        var signed = integrityOffset <= StackLimit
            ? stackalloc byte[StackLimit]
            : rented = ArrayPool<byte>.Shared.Rent(integrityOffset);
        signed = signed[..integrityOffset];
        datagram[..integrityOffset].CopyTo(signed);
        BinaryPrimitives.WriteUInt16BigEndian(signed[2..], (ushort)(integrityOffset + 24 - StunMessage.HeaderLength));
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(key, signed, mac);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return CryptographicOperations.FixedTimeEquals(mac, datagram.Slice(integrityOffset + 4, 20));
    }

    /// <summary>A Binding success response; its length, or 0 when <paramref name="response"/> is too small.</summary>
    private static int WriteSuccess(ReadOnlySpan<byte> transactionId, IPEndPoint from, byte[] key, Span<byte> response)
    {
        Span<byte> address = stackalloc byte[16];
        if (!from.Address.TryWriteBytes(address, out var size)) return 0;
        // A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; the browser knows itself by the IPv4 address.
        if (from.Address.AddressFamily == AddressFamily.InterNetworkV6 && from.Address.IsIPv4MappedToIPv6)
        {
            address[12..16].CopyTo(address);
            size = 4;
        }
        address = address[..size];
        var total = StunMessage.HeaderLength + 8 + size + 24 + 8;
        if (response.Length < total) return 0;

        BinaryPrimitives.WriteUInt16BigEndian(response, StunMessage.BindingSuccess);
        BinaryPrimitives.WriteUInt32BigEndian(response[4..], StunMessage.MagicCookie);
        transactionId.CopyTo(response[8..]);

        var offset = StunMessage.HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(response[offset..], StunMessage.XorMappedAddress);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 2)..], (ushort)(4 + size));
        response[offset + 4] = 0;
        response[offset + 5] = (byte)(size == 4 ? 0x01 : 0x02);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 6)..], (ushort)(from.Port ^ (StunMessage.MagicCookie >> 16)));
        // The address is XORed with the magic cookie and then, for IPv6, the transaction id (RFC 5389 §15.2).
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
        transactionId.CopyTo(mask[4..]);
        for (var i = 0; i < size; i++) response[offset + 8 + i] = (byte)(address[i] ^ mask[i]);
        offset += 8 + size;

        // MESSAGE-INTEGRITY: the length field first counts up to its end, as the receiver will when it checks.
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], (ushort)(offset + 24 - StunMessage.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(response[offset..], StunMessage.MessageIntegrity);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 2)..], 20);
        HMACSHA1.HashData(key, response[..offset], response.Slice(offset + 4, 20));
        offset += 24;

        BinaryPrimitives.WriteUInt16BigEndian(response[2..], (ushort)(offset + 8 - StunMessage.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(response[offset..], StunMessage.Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(response[(offset + 4)..], Crc32.Compute(response[..offset]) ^ StunMessage.FingerprintXor);
        return offset + 8;
    }
}
