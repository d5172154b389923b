using System.Buffers.Binary;

namespace Zvonim.Media.Rtcp;

/// <summary>
/// The sequence numbers a generic NACK (RFC 4585 §6.2.1) asks for: each FCI entry is a PID and a bitmask (BLP) of the
/// 16 numbers after it. <c>foreach (var sequenceNumber in RtcpNack.Lost(packet))</c>, without allocating.
/// </summary>
public static class RtcpNack
{
    private const int FirstEntry = 12;

    /// <summary>The lost sequence numbers in <paramref name="nack"/> (one NACK packet, e.g. <see cref="RtcpPacket.Slice(ReadOnlySpan{byte})"/>);
    /// nothing when it is not one or too short.</summary>
    public static Enumerator Lost(ReadOnlySpan<byte> nack)
    {
        var valid = nack.Length >= FirstEntry + 4 && nack[1] == RtcpPacketType.TransportFeedback
            && (nack[0] & 0x1F) == RtcpPacketType.GenericNack;
        return new Enumerator(valid ? nack[FirstEntry..(FirstEntry + (nack.Length - FirstEntry) / 4 * 4)] : default);
    }

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _entries;
        private int _entry;
        private int _bit;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _entries = entries;
            _entry = 0;
            _bit = -1;
            Current = 0;
        }

        public ushort Current { get; private set; }

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (4 * _entry < _entries.Length)
            {
                var pid = BinaryPrimitives.ReadUInt16BigEndian(_entries[(4 * _entry)..]);
                var blp = BinaryPrimitives.ReadUInt16BigEndian(_entries[(4 * _entry + 2)..]);
                // Bit -1 stands for the PID itself, then bits 0–15 of BLP for PID+1..PID+16.
                while (_bit < 16)
                {
                    var bit = _bit++;
                    if (bit < 0 || (blp & (1 << bit)) != 0)
                    {
                        Current = (ushort)(pid + bit + 1);
                        return true;
                    }
                }
                _entry++;
                _bit = -1;
            }
            return false;
        }
    }
}
