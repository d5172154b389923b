using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using HashAlgorithm = Org.BouncyCastle.Tls.HashAlgorithm;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using X509CertificateRequest = System.Security.Cryptography.X509Certificates.CertificateRequest;

namespace Zvonim.Media.Dtls;

/// <summary>
/// The server's DTLS identity for every session of a process: an ECDSA P-256 self-signed certificate made at start.
/// WebRTC trusts no CA: each side pins the other's certificate to the fingerprint its SDP carried, so one
/// certificate whose <see cref="Sha256Fingerprint"/> goes into every answer is all the server needs. ECDSA P-256 is
/// what browsers make for themselves and what every one of them accepts.
/// </summary>
public sealed class DtlsCertificate
{
    /// <summary>Browsers do not check a DTLS peer's validity period, only its fingerprint; a year outlives any
    /// sane process, for the tools that do look.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    /// <summary>Backdated so that a peer whose clock is behind ours never sees a certificate from the future.</summary>
    private static readonly TimeSpan Backdating = TimeSpan.FromDays(1);

    private static readonly SignatureAndHashAlgorithm EcdsaSha256 =
        new(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    private readonly byte[] _der;
    private readonly AsymmetricKeyParameter _privateKey;

    private DtlsCertificate(byte[] der, AsymmetricKeyParameter privateKey)
    {
        _der = der;
        _privateKey = privateKey;
        Fingerprint = Fingerprint.Sha256(der);
    }

    /// <summary>The certificate as DER, what a fingerprint hashes.</summary>
    internal ReadOnlyMemory<byte> Der => _der;

    /// <summary>The SHA-256 of the certificate's DER, uppercase hex pairs joined by colons: the value of an SDP
    /// answer's <c>a=fingerprint:sha-256</c>.</summary>
    public string Sha256Fingerprint => Fingerprint.Value;

    /// <summary>Its SHA-256 fingerprint, as the other side of a handshake checks it.</summary>
    public Fingerprint Fingerprint { get; }

    public static DtlsCertificate Create(TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new X509CertificateRequest("CN=zvonim", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(now - Backdating, now + Lifetime);
        // .NET makes the certificate; BouncyCastle signs the handshake with the same key, handed over as PKCS#8.
        return new DtlsCertificate(certificate.RawData, PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey()));
    }

    /// <summary>The certificate and key as BouncyCastle signs a handshake with them (ServerKeyExchange, or a
    /// client's CertificateVerify in tests).</summary>
    internal TlsCredentialedSigner CreateSigner(TlsContext context, BcTlsCrypto crypto) =>
        new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, _privateKey,
            new Certificate([new BcTlsCertificate(crypto, _der)]), EcdsaSha256);
}
