using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Zvonim.Media.Srtp;

/// <summary>
/// The AES-CM pseudo-random function of RFC 3711 §4.3.1 and §4.3.3, with key_derivation_rate 0 (DTLS-SRTP never
/// sets another), so the index term r is always zero and each session key is derived once.
/// </summary>
internal static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0x00;
    public const byte RtpAuthentication = 0x01;
    public const byte RtpSalt = 0x02;
    public const byte RtcpEncryption = 0x03;
    public const byte RtcpAuthentication = 0x04;
    public const byte RtcpSalt = 0x05;

    private const int BlockLength = 16;

    /// <summary>Fills <paramref name="output"/> with the PRF stream for <paramref name="label"/>.</summary>
    /// <param name="prf">AES keyed with the master key.</param>
    /// <param name="masterSalt">
    /// 14 bytes for AES-CM; GCM's 12-byte salt is used left-aligned and zero-padded, which is how libsrtp and the
    /// browsers read RFC 7714 §12 (the label still lands in byte 7).
    /// </param>
    public static void Derive(Aes prf, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        if (masterSalt.Length > 14) throw new ArgumentException("A master salt is at most 14 bytes.", nameof(masterSalt));

        // x = (label || r) XOR master_salt, right-aligned in 112 bits, then x * 2^16 as the AES-CM counter's start:
        // byte 7 holds the label, bytes 8..13 the (zero) r, bytes 14..15 the block counter.
        var blocks = (output.Length + BlockLength - 1) / BlockLength;
        Span<byte> counters = stackalloc byte[blocks * BlockLength];
        Span<byte> stream = stackalloc byte[blocks * BlockLength];
        for (var i = 0; i < blocks; i++)
        {
            var block = counters.Slice(i * BlockLength, BlockLength);
            block.Clear();
            masterSalt.CopyTo(block);
            block[7] ^= label;
            BinaryPrimitives.WriteUInt16BigEndian(block[14..], (ushort)i);
        }

        prf.EncryptEcb(counters, stream, PaddingMode.None);
        stream[..output.Length].CopyTo(output);
        CryptographicOperations.ZeroMemory(stream);
    }

    /// <summary>One-off derivation straight from a master key.</summary>
    public static byte[] Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, int length)
    {
        using var prf = Aes.Create();
        prf.Key = masterKey.ToArray();
        var output = new byte[length];
        Derive(prf, masterSalt, label, output);
        return output;
    }
}
