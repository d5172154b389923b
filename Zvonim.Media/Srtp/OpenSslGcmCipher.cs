using System.Runtime.InteropServices;

namespace Zvonim.Media.Srtp;

/// <summary>
/// AES-GCM through OpenSSL's EVP interface with one cipher context per direction, keyed once: a packet then costs a
/// nonce, the associated data, the data and the tag, with no key schedule rebuilt and no error queue cleared per call
/// (what makes <see cref="System.Security.Cryptography.AesGcm"/> several times slower for a media packet). The cipher
/// itself is OpenSSL's; nothing of AES or GHASH is done here.
/// </summary>
/// <remarks>The library is the OpenSSL 3 or 1.1 libcrypto the runtime's own cryptography uses on Linux, looked up by
/// name; where neither loads, <see cref="GcmCipher.Create"/> falls back to .NET's.</remarks>
internal sealed unsafe class OpenSslGcmCipher : GcmCipher
{
    private const int CtrlGcmGetTag = 0x10; // EVP_CTRL_GCM_GET_TAG
    private const int CtrlGcmSetTag = 0x11; // EVP_CTRL_GCM_SET_TAG

    private static readonly Api? Native = Api.Load();

    private readonly CipherContext _encrypt;
    private readonly CipherContext _decrypt;

    public static bool IsAvailable => Native is not null;

    public OpenSslGcmCipher(ReadOnlySpan<byte> key)
    {
        var api = Native ?? throw new PlatformNotSupportedException("OpenSSL's libcrypto could not be loaded.");
        var cipher = key.Length switch
        {
            16 => api.Aes128Gcm(),
            32 => api.Aes256Gcm(),
            _ => throw new ArgumentException("AES-GCM takes a 16- or 32-byte key.", nameof(key)),
        };
        _encrypt = new CipherContext(api);
        _decrypt = new CipherContext(api);
        fixed (byte* k = key)
        {
            if (api.EncryptInit(_encrypt.Pointer, cipher, 0, k, null) != 1 || api.DecryptInit(_decrypt.Pointer, cipher, 0, k, null) != 1)
                throw new InvalidOperationException("OpenSSL refused the AES-GCM key.");
        }
    }

    public override void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        var api = Native!;
        var ctx = _encrypt.Pointer;
        int written;
        fixed (byte* n = nonce, a = associatedData, d = data, t = tag)
        {
            var ok = nonce.Length == 12 && tag.Length >= TagLength
                && api.EncryptInit(ctx, 0, 0, null, n) == 1
                && (associatedData.IsEmpty || api.EncryptUpdate(ctx, null, &written, a, associatedData.Length) == 1)
                && (data.IsEmpty || api.EncryptUpdate(ctx, d, &written, d, data.Length) == 1)
                && api.EncryptFinal(ctx, d + data.Length, &written) == 1
                && api.Ctrl(ctx, CtrlGcmGetTag, TagLength, t) == 1;
            if (!ok)
            {
                api.ClearErrors();
                throw new System.Security.Cryptography.CryptographicException("AES-GCM encryption failed in OpenSSL.");
            }
        }
    }

    public override bool TryDecrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        var api = Native!;
        var ctx = _decrypt.Pointer;
        int written;
        fixed (byte* n = nonce, a = associatedData, d = data, t = tag)
        {
            var ok = nonce.Length == 12 && tag.Length == TagLength
                && api.DecryptInit(ctx, 0, 0, null, n) == 1
                && (associatedData.IsEmpty || api.DecryptUpdate(ctx, null, &written, a, associatedData.Length) == 1)
                && (data.IsEmpty || api.DecryptUpdate(ctx, d, &written, d, data.Length) == 1)
                && api.Ctrl(ctx, CtrlGcmSetTag, TagLength, t) == 1
                && api.DecryptFinal(ctx, d + data.Length, &written) > 0;
            if (ok) return true;
        }
        // As AesGcm does: nothing unauthenticated is left for a caller to use by mistake.
        data.Clear();
        api.ClearErrors();
        return false;
    }

    public override void Dispose()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
    }

    /// <summary>An EVP_CIPHER_CTX, freed (and its key schedule wiped by OpenSSL) on dispose or, if forgotten, by the
    /// finalizer.</summary>
    private sealed class CipherContext : SafeHandle
    {
        private readonly Api _api;

        public CipherContext(Api api) : base(0, ownsHandle: true)
        {
            _api = api;
            SetHandle(api.NewContext());
            if (IsInvalid) throw new OutOfMemoryException("OpenSSL could not allocate a cipher context.");
        }

        public override bool IsInvalid => handle == 0;

        /// <summary>The context; only the owning transform's thread uses it, and only before disposal.</summary>
        public nint Pointer => handle;

        protected override bool ReleaseHandle()
        {
            _api.FreeContext(handle);
            return true;
        }
    }

    /// <summary>The libcrypto functions used, resolved once.</summary>
    private sealed class Api
    {
        public delegate* unmanaged<nint> NewContext;
        public delegate* unmanaged<nint, void> FreeContext;
        public delegate* unmanaged<nint> Aes128Gcm;
        public delegate* unmanaged<nint> Aes256Gcm;
        public delegate* unmanaged<nint, nint, nint, byte*, byte*, int> EncryptInit;
        public delegate* unmanaged<nint, byte*, int*, byte*, int, int> EncryptUpdate;
        public delegate* unmanaged<nint, byte*, int*, int> EncryptFinal;
        public delegate* unmanaged<nint, nint, nint, byte*, byte*, int> DecryptInit;
        public delegate* unmanaged<nint, byte*, int*, byte*, int, int> DecryptUpdate;
        public delegate* unmanaged<nint, byte*, int*, int> DecryptFinal;
        public delegate* unmanaged<nint, int, int, byte*, int> Ctrl;
        public delegate* unmanaged<void> ErrClearError;

        public void ClearErrors() => ErrClearError();

        public static Api? Load()
        {
            if (!OperatingSystem.IsLinux()) return null;
            foreach (var name in new[] { "libcrypto.so.3", "libcrypto.so.1.1" })
            {
                if (!NativeLibrary.TryLoad(name, out var library)) continue;
                try
                {
                    return new Api
                    {
                        NewContext = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "EVP_CIPHER_CTX_new"),
                        FreeContext = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "EVP_CIPHER_CTX_free"),
                        Aes128Gcm = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "EVP_aes_128_gcm"),
                        Aes256Gcm = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "EVP_aes_256_gcm"),
                        EncryptInit = (delegate* unmanaged<nint, nint, nint, byte*, byte*, int>)NativeLibrary.GetExport(library, "EVP_EncryptInit_ex"),
                        EncryptUpdate = (delegate* unmanaged<nint, byte*, int*, byte*, int, int>)NativeLibrary.GetExport(library, "EVP_EncryptUpdate"),
                        EncryptFinal = (delegate* unmanaged<nint, byte*, int*, int>)NativeLibrary.GetExport(library, "EVP_EncryptFinal_ex"),
                        DecryptInit = (delegate* unmanaged<nint, nint, nint, byte*, byte*, int>)NativeLibrary.GetExport(library, "EVP_DecryptInit_ex"),
                        DecryptUpdate = (delegate* unmanaged<nint, byte*, int*, byte*, int, int>)NativeLibrary.GetExport(library, "EVP_DecryptUpdate"),
                        DecryptFinal = (delegate* unmanaged<nint, byte*, int*, int>)NativeLibrary.GetExport(library, "EVP_DecryptFinal_ex"),
                        Ctrl = (delegate* unmanaged<nint, int, int, byte*, int>)NativeLibrary.GetExport(library, "EVP_CIPHER_CTX_ctrl"),
                        ErrClearError = (delegate* unmanaged<void>)NativeLibrary.GetExport(library, "ERR_clear_error"),
                    };
                }
                catch (EntryPointNotFoundException)
                {
                    NativeLibrary.Free(library);
                }
            }
            return null;
        }
    }
}
