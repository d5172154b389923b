using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Zvonim.Media.Dtls;

/// <summary>
/// The TLS side of one DTLS-SRTP association (RFC 5763, RFC 5764): DTLS 1.2 only, ECDHE-ECDSA suites, a client
/// certificate required and pinned to the fingerprint from the client's SDP, one SRTP protection profile chosen from
/// the client's use_srtp offer, and the SRTP keying material exported when the handshake completes.
/// </summary>
internal sealed class SrtpDtlsServer : DefaultTlsServer
{
    private readonly BcTlsCrypto _crypto;
    private readonly DtlsCertificate _certificate;
    private readonly Fingerprint _expectedFingerprint;
    private readonly int[] _profilePreference;
    private int _srtpProfile;

    public SrtpDtlsServer(BcTlsCrypto crypto, DtlsCertificate certificate, Fingerprint expectedFingerprint, bool preferGcm)
        : base(crypto)
    {
        _crypto = crypto;
        _certificate = certificate;
        _expectedFingerprint = expectedFingerprint;
        _profilePreference = preferGcm
            ? [DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.AesCm128HmacSha1_80]
            : [DtlsSrtpProfile.AesCm128HmacSha1_80, DtlsSrtpProfile.AeadAes128Gcm];
    }

    /// <summary>Set in <see cref="NotifyHandshakeComplete"/>: once BouncyCastle's Accept returns it has cleared the
    /// master secret, and nothing can be exported any more.</summary>
    public DtlsResult? Result { get; private set; }

    /// <summary>Whether the handshake was refused because the client's certificate was missing or was not the one
    /// its SDP promised.</summary>
    public bool CertificateRefused { get; private set; }

    // Chromium offers DTLS 1.3 as well; BouncyCastle has no DTLS 1.3 and settles on 1.2, which is all WebRTC needs.
    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() =>
        TlsUtilities.GetSupportedCipherSuites(Crypto, DtlsCipherSuites.Offered);

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() =>
        _certificate.CreateSigner(m_context, _crypto);

    /// <summary>Asks for the client's certificate: it is the only thing that authenticates the peer. Chromium
    /// fails the handshake unless ecdsa_sign is listed (its certificate is ECDSA); rsa_sign admits clients that
    /// are configured with RSA certificates.</summary>
    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
            TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context), null);

    /// <summary>Pins the client's certificate to its SDP fingerprint (RFC 5763 §5). BouncyCastle then checks that
    /// the client holds the key (CertificateVerify), which together authenticate the signalled peer.</summary>
    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate.IsEmpty
            || !_expectedFingerprint.Matches(clientCertificate.GetCertificateAt(0).GetEncoded()))
        {
            CertificateRefused = true;
            throw new TlsFatalAlert(AlertDescription.bad_certificate,
                "The client's certificate is missing or does not match the fingerprint in its SDP.");
        }
    }

    /// <summary>Chooses the SRTP profile. Without a shared profile RFC 5764 would carry on without SRTP, which is no
    /// use for media: the handshake is refused instead.</summary>
    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)?.ProtectionProfiles
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, "The client did not offer use_srtp.");
        _srtpProfile = Array.Find(_profilePreference, profile => Array.IndexOf(offered, profile) >= 0);
        if (_srtpProfile == 0)
            throw new TlsFatalAlert(AlertDescription.handshake_failure,
                "The client offered no SRTP protection profile this server supports.");
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
        // The one profile chosen, and no MKI: WebRTC's SRTP never uses one.
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([_srtpProfile], TlsUtilities.EmptyBytes));
        return extensions;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var material = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null,
            DtlsSrtpProfile.KeyingMaterialLength(_srtpProfile));
        Result = new DtlsResult(_srtpProfile, material,
            DtlsCipherSuites.Name(m_context.SecurityParameters.CipherSuite));
    }
}
