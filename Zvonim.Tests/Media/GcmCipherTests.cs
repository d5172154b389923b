using System.Security.Cryptography;
using Zvonim.Media.Srtp;

namespace Zvonim.Tests.Media;

/// <summary>AES-GCM through OpenSSL's EVP interface against .NET's own, byte for byte, and its refusals.</summary>
public sealed class GcmCipherTests
{
    private static byte[] Random(int length)
    {
        var bytes = new byte[length];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 16, 1100, 12 },  // a video packet, RTP header as AAD
        { 16, 100, 24 },   // audio with a header extension
        { 16, 0, 40 },     // SRTCP sent unencrypted: everything is AAD
        { 16, 37, 0 },
        { 32, 1200, 12 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OpenSsl_and_dotnet_agree_both_ways(int keyLength, int dataLength, int aadLength)
    {
        if (!OpenSslGcmCipher.IsAvailable) return; // not Linux, or no libcrypto: GcmCipher uses .NET's alone
        var key = Random(keyLength);
        var nonce = Random(12);
        var aad = Random(aadLength);
        var plain = Random(dataLength);
        using var openssl = new OpenSslGcmCipher(key);
        using var dotnet = new DotNetGcmCipher(key);

        for (var packet = 0; packet < 3; packet++) // the contexts are reused across packets
        {
            nonce[11]++;
            var ours = (byte[])plain.Clone();
            var theirs = (byte[])plain.Clone();
            var ourTag = new byte[16];
            var theirTag = new byte[16];
            openssl.Encrypt(nonce, ours, ourTag, aad);
            dotnet.Encrypt(nonce, theirs, theirTag, aad);
            Assert.Equal(theirs, ours);
            Assert.Equal(theirTag, ourTag);

            Assert.True(openssl.TryDecrypt(nonce, theirs, theirTag, aad));
            Assert.Equal(plain, theirs);
            Assert.True(dotnet.TryDecrypt(nonce, ours, ourTag, aad));
            Assert.Equal(plain, ours);
        }
    }

    [Fact]
    public void A_wrong_tag_aad_or_nonce_is_refused_and_leaves_no_plaintext()
    {
        if (!OpenSslGcmCipher.IsAvailable) return;
        var key = Random(16);
        var nonce = Random(12);
        var aad = Random(12);
        var plain = Random(500);
        using var cipher = new OpenSslGcmCipher(key);
        var sealedData = (byte[])plain.Clone();
        var tag = new byte[16];
        cipher.Encrypt(nonce, sealedData, tag, aad);

        byte[] Tampered(byte[] bytes, int at)
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= 1;
            return copy;
        }

        foreach (var (n, t, a) in new[] { (Tampered(nonce, 3), tag, aad), (nonce, Tampered(tag, 15), aad), (nonce, tag, Tampered(aad, 0)) })
        {
            var data = (byte[])sealedData.Clone();
            Assert.False(cipher.TryDecrypt(n, data, t, a));
            Assert.All(data, b => Assert.Equal(0, b));
        }
        var good = (byte[])sealedData.Clone();
        Assert.True(cipher.TryDecrypt(nonce, good, tag, aad)); // a refusal leaves the context usable
        Assert.Equal(plain, good);
    }

    [Fact]
    public void On_Linux_the_OpenSSL_path_is_the_one_used()
    {
        // .NET's own cryptography needs libcrypto there, so it is always present where the runtime runs.
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(OpenSslGcmCipher.IsAvailable);
        using var cipher = GcmCipher.Create(new byte[16]);
        Assert.IsType<OpenSslGcmCipher>(cipher);
    }

    [Fact]
    public void Encrypting_and_decrypting_allocate_nothing()
    {
        using var cipher = GcmCipher.Create(Random(16));
        var nonce = Random(12);
        var aad = Random(12);
        var data = Random(1100);
        var tag = new byte[16];
        void Round()
        {
            cipher.Encrypt(nonce, data, tag, aad);
            cipher.TryDecrypt(nonce, data, tag, aad);
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(Round, rounds: 100));
    }
}
