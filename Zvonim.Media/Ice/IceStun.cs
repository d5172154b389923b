using System.Buffers.Binary;
using Zvonim.Media.Stun;

namespace Zvonim.Media.Ice;

/// <summary>
/// The layout of a STUN Binding request as ICE uses it (RFC 8445 §7.1), read without allocating: where USERNAME,
/// MESSAGE-INTEGRITY and FINGERPRINT are, and the ICE attributes. <see cref="StunMessage"/> does the same checks on a
/// copy; this is the version for a socket loop that sees every connectivity check and consent refresh.
/// </summary>
internal readonly struct IceStun
{
    public const ushort Priority = 0x0024;
    public const ushort UseCandidate = 0x0025;
    public const ushort IceControlled = 0x8029;
    public const ushort IceControlling = 0x802A;

    public int UsernameOffset { get; init; }
    public int UsernameLength { get; init; }

    /// <summary>Where the MESSAGE-INTEGRITY attribute (its type) starts, -1 without one.</summary>
    public int IntegrityOffset { get; init; }

    /// <summary>Where the FINGERPRINT attribute (its type) starts, -1 without one. It is always the last.</summary>
    public int FingerprintOffset { get; init; }

    public bool HasUseCandidate { get; init; }
    public bool HasIceControlling { get; init; }
    public bool HasIceControlled { get; init; }
    public uint PriorityValue { get; init; }

    /// <summary>A Binding request whose attributes fit: the header as RFC 5389 §6 has it, attributes inside the
    /// message, FINGERPRINT (if any) last. Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored, as
    /// §15.4 says, since they are not covered by it.</summary>
    public static bool TryReadBindingRequest(ReadOnlySpan<byte> datagram, out IceStun request)
    {
        request = default;
        if (datagram.Length < StunMessage.HeaderLength
            || BinaryPrimitives.ReadUInt16BigEndian(datagram) != StunMessage.BindingRequest
            || BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != StunMessage.MagicCookie)
            return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (length % 4 != 0 || StunMessage.HeaderLength + length != datagram.Length) return false;

        int usernameOffset = -1, usernameLength = 0, integrity = -1, fingerprint = -1;
        bool useCandidate = false, controlling = false, controlled = false;
        uint priority = 0;
        var offset = StunMessage.HeaderLength;
        while (offset < datagram.Length)
        {
            if (fingerprint >= 0 || offset + 4 > datagram.Length) return false; // FINGERPRINT must be last
            var type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            var value = offset + 4;
            if (value + ((valueLength + 3) & ~3) > datagram.Length) return false;

            if (type == StunMessage.Fingerprint)
            {
                if (valueLength != 4) return false;
                fingerprint = offset;
            }
            else if (integrity < 0)
            {
                switch (type)
                {
                    case StunMessage.MessageIntegrity:
                        if (valueLength != 20) return false;
                        integrity = offset;
                        break;
                    case StunMessage.Username when usernameOffset < 0:
                        usernameOffset = value;
                        usernameLength = valueLength;
                        break;
                    case UseCandidate:
                        useCandidate = true;
                        break;
                    case IceControlling:
                        controlling = true;
                        break;
                    case IceControlled:
                        controlled = true;
                        break;
                    case Priority when valueLength == 4:
                        priority = BinaryPrimitives.ReadUInt32BigEndian(datagram[value..]);
                        break;
                }
            }
            offset = value + ((valueLength + 3) & ~3);
        }

        request = new IceStun
        {
            UsernameOffset = usernameOffset,
            UsernameLength = usernameLength,
            IntegrityOffset = integrity,
            FingerprintOffset = fingerprint,
            HasUseCandidate = useCandidate,
            HasIceControlling = controlling,
            HasIceControlled = controlled,
            PriorityValue = priority,
        };
        return true;
    }

    public ReadOnlySpan<byte> Username(ReadOnlySpan<byte> datagram) =>
        UsernameOffset < 0 ? default : datagram.Slice(UsernameOffset, UsernameLength);

    /// <summary>FINGERPRINT is present (ICE requires it, RFC 8445 §7.1) and is the CRC-32 of all before it.</summary>
    public bool FingerprintValid(ReadOnlySpan<byte> datagram) =>
        FingerprintOffset >= 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[(FingerprintOffset + 4)..])
            == (Crc32.Compute(datagram[..FingerprintOffset]) ^ StunMessage.FingerprintXor);
}
