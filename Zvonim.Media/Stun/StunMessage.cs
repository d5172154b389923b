using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Zvonim.Media.Stun;

/// <summary>
/// A STUN message (RFC 5389) read from a datagram: its type, transaction id and attributes, with the checks a server
/// needs (FINGERPRINT, MESSAGE-INTEGRITY with a short-term key). Reading never throws: anything that is not a
/// well-formed STUN message is null.
/// </summary>
public sealed class StunMessage
{
    public const int HeaderLength = 20;
    public const uint MagicCookie = 0x2112A442;
    public const ushort BindingRequest = 0x0001;
    public const ushort BindingSuccess = 0x0101;

    public const ushort MappedAddress = 0x0001;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Software = 0x8022;
    public const ushort Fingerprint = 0x8028;

    /// <summary>What FINGERPRINT's CRC-32 is XORed with (RFC 5389 §15.5).</summary>
    public const uint FingerprintXor = 0x5354554E;

    private readonly byte[] _bytes;
    private readonly List<(ushort Type, int Offset, int Length)> _attributes;

    private StunMessage(byte[] bytes, ushort type, List<(ushort, int, int)> attributes)
    {
        _bytes = bytes;
        Type = type;
        _attributes = attributes;
    }

    public ushort Type { get; }

    /// <summary>The 12-byte transaction id.</summary>
    public ReadOnlySpan<byte> TransactionId => _bytes.AsSpan(8, 12);

    public IEnumerable<ushort> AttributeTypes => _attributes.Select(a => a.Type);

    /// <summary>A STUN message, or null: the first two bits zero, the magic cookie, a length that is a multiple of 4
    /// and matches the datagram, and attributes that fit.</summary>
    public static StunMessage? Read(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderLength || (datagram[0] & 0xC0) != 0) return null;
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (length % 4 != 0 || HeaderLength + length != datagram.Length) return null;
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie) return null;
        var attributes = new List<(ushort, int, int)>();
        var offset = HeaderLength;
        while (offset < datagram.Length)
        {
            if (offset + 4 > datagram.Length) return null;
            var type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            var padded = (valueLength + 3) & ~3;
            if (offset + 4 + padded > datagram.Length) return null;
            attributes.Add((type, offset + 4, valueLength));
            offset += 4 + padded;
        }
        return new StunMessage(datagram.ToArray(), BinaryPrimitives.ReadUInt16BigEndian(datagram), attributes);
    }

    /// <summary>The first attribute of <paramref name="type"/>'s value, if there is one.</summary>
    public ReadOnlySpan<byte> Attribute(ushort type)
    {
        foreach (var (t, offset, length) in _attributes)
            if (t == type) return _bytes.AsSpan(offset, length);
        return default;
    }

    public bool Has(ushort type) => _attributes.Exists(a => a.Type == type);

    /// <summary>FINGERPRINT is absent, or last and right.</summary>
    public bool FingerprintValid()
    {
        var index = _attributes.FindIndex(a => a.Type == Fingerprint);
        if (index < 0) return true;
        var (_, offset, length) = _attributes[index];
        if (index != _attributes.Count - 1 || length != 4) return false;
        var expected = Crc32.Compute(_bytes.AsSpan(0, offset - 4)) ^ FingerprintXor;
        return BinaryPrimitives.ReadUInt32BigEndian(_bytes.AsSpan(offset)) == expected;
    }

    /// <summary>MESSAGE-INTEGRITY is present and is the HMAC-SHA1 under <paramref name="key"/> (the short-term
    /// password's bytes) of the message up to it, with the length field counting up to its end (RFC 5389 §15.4).</summary>
    public bool IntegrityValid(ReadOnlySpan<byte> key)
    {
        var index = _attributes.FindIndex(a => a.Type == MessageIntegrity);
        if (index < 0) return false;
        var (_, offset, length) = _attributes[index];
        if (length != 20) return false;
        var signed = _bytes.AsSpan(0, offset - 4).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(signed.AsSpan(2), (ushort)(offset + 20 - HeaderLength));
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(key, signed, mac);
        return CryptographicOperations.FixedTimeEquals(mac, _bytes.AsSpan(offset, 20));
    }

    /// <summary>XOR-MAPPED-ADDRESS decoded (RFC 5389 §15.2), if present and well formed.</summary>
    public IPEndPoint? XorMapped()
    {
        var value = Attribute(XorMappedAddress);
        if (value.Length < 8) return null;
        var port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (MagicCookie >> 16));
        var family = value[1];
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, MagicCookie);
        TransactionId.CopyTo(mask[4..]);
        var size = family switch { 0x01 => 4, 0x02 => 16, _ => 0 };
        if (size == 0 || value.Length < 4 + size) return null;
        var address = new byte[size];
        for (var i = 0; i < size; i++) address[i] = (byte)(value[4 + i] ^ mask[i]);
        return new IPEndPoint(new IPAddress(address), port);
    }

    /// <summary>A Binding success response to <paramref name="request"/> telling the client where it came from
    /// (XOR-MAPPED-ADDRESS), with SOFTWARE when given and a FINGERPRINT.</summary>
    public static byte[] BindingResponse(ReadOnlySpan<byte> transactionId, IPEndPoint from, string? software = null)
    {
        var address = (from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address).GetAddressBytes();
        var softwareBytes = software is null ? [] : System.Text.Encoding.UTF8.GetBytes(software);
        var softwareLength = software is null ? 0 : 4 + ((softwareBytes.Length + 3) & ~3);
        var length = (4 + 4 + address.Length) + softwareLength + 8;
        var message = new byte[HeaderLength + length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, BindingSuccess);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)length);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], MagicCookie);
        transactionId.CopyTo(span[8..]);

        var offset = HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], XorMappedAddress);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], (ushort)(4 + address.Length));
        span[offset + 5] = (byte)(address.Length == 4 ? 0x01 : 0x02);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 6)..], (ushort)(from.Port ^ (MagicCookie >> 16)));
        for (var i = 0; i < address.Length; i++)
            span[offset + 8 + i] = (byte)(address[i] ^ (i < 4 ? (byte)(MagicCookie >> (24 - 8 * i)) : transactionId[i - 4]));
        offset += 8 + address.Length;

        if (software is not null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[offset..], Software);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], (ushort)softwareBytes.Length);
            softwareBytes.CopyTo(span[(offset + 4)..]);
            offset += softwareLength;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 4)..], Crc32.Compute(span[..offset]) ^ FingerprintXor);
        return message;
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected, as zlib), for STUN's FINGERPRINT.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}
