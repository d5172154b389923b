using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Zvonim.Media.Srtp;

/// <summary>
/// AES in counter mode (RFC 3711 §4.1.1), which .NET does not offer: counter blocks are laid out in a reusable
/// buffer, encrypted with ECB in one call, and XORed over the data. Not thread-safe; it owns its scratch buffers.
/// </summary>
/// <remarks>
/// The ECB encryptor is created once and kept: <see cref="SymmetricAlgorithm.EncryptEcb(ReadOnlySpan{byte}, Span{byte}, PaddingMode)"/>
/// builds a fresh native cipher (and key schedule) and allocates on every call, which a per-packet path cannot afford.
/// ECB carries no state between blocks, so one encryptor serves every packet.
/// </remarks>
internal sealed class AesCounterMode : IDisposable
{
    public const int BlockLength = 16;

    // 64 blocks (1 KiB) per call into the cipher: an audio packet in one call, a full-size video packet in two.
    private const int BlocksPerBatch = 64;

    private readonly Aes _aes;
    private readonly ICryptoTransform _ecb;
    private readonly byte[] _counters = new byte[BlocksPerBatch * BlockLength];
    private readonly byte[] _keystream = new byte[BlocksPerBatch * BlockLength];

    public AesCounterMode(byte[] key)
    {
        _aes = Aes.Create();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor(key, null);
    }

    /// <summary>
    /// XORs the keystream that starts at <paramref name="iv"/> over <paramref name="data"/>: encryption and
    /// decryption alike. SRTP's IVs end in 16 zero bits, so the block counter is simply added into the last word.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        var low = BinaryPrimitives.ReadUInt32BigEndian(iv[12..]);
        var block = 0u;
        while (!data.IsEmpty)
        {
            var blocks = Math.Min(BlocksPerBatch, (data.Length + BlockLength - 1) / BlockLength);
            var counters = _counters.AsSpan(0, blocks * BlockLength);
            for (var i = 0; i < blocks; i++, block++)
            {
                var counter = counters.Slice(i * BlockLength, BlockLength);
                iv[..12].CopyTo(counter);
                BinaryPrimitives.WriteUInt32BigEndian(counter[12..], low + block);
            }

            _ecb.TransformBlock(_counters, 0, counters.Length, _keystream, 0);
            var bytes = Math.Min(data.Length, counters.Length);
            Xor(data[..bytes], _keystream);
            data = data[bytes..];
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_keystream);
        _ecb.Dispose();
        _aes.Dispose();
    }

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<byte>.Count <= data.Length; i += Vector<byte>.Count)
            {
                var mixed = new Vector<byte>(data[i..]) ^ new Vector<byte>(keystream[i..]);
                mixed.CopyTo(data[i..]);
            }
        }

        for (; i < data.Length; i++) data[i] ^= keystream[i];
    }
}
