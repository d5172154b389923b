using System.Security.Cryptography;

namespace Zvonim.Media.Srtp;

/// <summary>
/// AES-GCM with a 16-byte tag and a 12-byte nonce under one key, for one thread at a time. OpenSSL's EVP interface
/// keyed once where it can be loaded (<see cref="OpenSslGcmCipher"/>); .NET's <see cref="AesGcm"/> otherwise.
/// </summary>
internal abstract class GcmCipher : IDisposable
{
    public const int TagLength = 16;

    public static GcmCipher Create(ReadOnlySpan<byte> key) =>
        OpenSslGcmCipher.IsAvailable ? new OpenSslGcmCipher(key) : new DotNetGcmCipher(key);

    /// <summary>Encrypts <paramref name="data"/> in place and writes the tag.</summary>
    public abstract void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts <paramref name="data"/> in place if the tag holds; if not, false and <paramref name="data"/> zeroed.</summary>
    public abstract bool TryDecrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData);

    public abstract void Dispose();
}

/// <summary>.NET's own AES-GCM: correct everywhere, but on Linux each call sets the key up in OpenSSL again and
/// clears OpenSSL's error queue, several times the cost of the cipher itself for a media packet.</summary>
internal sealed class DotNetGcmCipher(ReadOnlySpan<byte> key) : GcmCipher
{
    private readonly AesGcm _aead = new(key, TagLength);

    public override void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> associatedData) =>
        _aead.Encrypt(nonce, data, data, tag, associatedData);

    /// <remarks>.NET reports a bad tag by throwing: only forgeries pay for it (replays are turned away earlier).</remarks>
    public override bool TryDecrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            _aead.Decrypt(nonce, data, tag, data, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public override void Dispose() => _aead.Dispose();
}
