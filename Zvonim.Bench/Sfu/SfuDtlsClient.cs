using System.Net.Sockets;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Zvonim.Media.Dtls;
using HashAlgorithm = Org.BouncyCastle.Tls.HashAlgorithm;
using X509CertificateRequest = System.Security.Cryptography.X509Certificates.CertificateRequest;

namespace Zvonim.Bench.Sfu;

/// <summary>A load peer's own DTLS identity, as a browser makes one: an ECDSA P-256 self-signed certificate whose
/// SHA-256 fingerprint is what its "SDP" (here: <c>MediaPeer.Connect</c>) promises.</summary>
public sealed class ClientIdentity
{
    private readonly byte[] _der;
    private readonly AsymmetricKeyParameter _privateKey;

    private ClientIdentity(byte[] der, AsymmetricKeyParameter privateKey)
    {
        _der = der;
        _privateKey = privateKey;
        Fingerprint = Fingerprint.Sha256(der);
    }

    /// <summary>What its <c>a=fingerprint</c> would say: <c>sha-256</c> and uppercase hex pairs joined by colons.</summary>
    public Fingerprint Fingerprint { get; }

    public static ClientIdentity Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new X509CertificateRequest("CN=zvonim-bench", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return new ClientIdentity(certificate.RawData, PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey()));
    }

    internal TlsCredentialedSigner CreateSigner(TlsContext context, BcTlsCrypto crypto) =>
        new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, _privateKey,
            new Certificate([new BcTlsCertificate(crypto, _der)]), new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
}

/// <summary>A WebRTC-like DTLS 1.2 client: use_srtp with the given profiles, its own certificate, the server's
/// certificate recorded, and the SRTP keying material exported once the handshake is done.</summary>
internal sealed class SfuDtlsClient(ClientIdentity identity, int[] profiles, int timeoutMillis)
    : DefaultTlsClient(new BcTlsCrypto(new SecureRandom()))
{
    public int SrtpProfile { get; private set; }
    public byte[]? KeyingMaterial { get; private set; }
    /// <summary>The server's certificate as DER, what its signalled fingerprint must match.</summary>
    public byte[]? ServerCertificate { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    public override int GetHandshakeTimeoutMillis() => timeoutMillis;

    // Loopback: a lost flight is rare, but a busy machine should not stall a handshake for a whole second.
    public override int GetHandshakeResendTimeMillis() => 300;

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(profiles, TlsUtilities.EmptyBytes));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var chosen = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)?.ProtectionProfiles;
        if (chosen is not { Length: 1 } || !profiles.Contains(chosen[0])) throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        SrtpProfile = chosen[0];
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this, identity);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        KeyingMaterial = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, DtlsSrtpProfile.KeyingMaterialLength(SrtpProfile));
    }

    private sealed class Authentication(SfuDtlsClient client, ClientIdentity identity) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            client.ServerCertificate = serverCertificate.Certificate.GetCertificateAt(0).GetEncoded();

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            identity.CreateSigner(client.m_context, (BcTlsCrypto)client.Crypto);
    }
}

/// <summary>DTLS over the load peer's connected UDP socket: only DTLS datagrams (first byte 20–63, RFC 7983) are
/// handed to BouncyCastle; late STUN answers and anything else are skipped.</summary>
internal sealed class UdpDtlsTransport(Socket socket) : DatagramTransport
{
    public int GetReceiveLimit() => 1500;

    public int GetSendLimit() => 1200;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        var deadline = Environment.TickCount64 + Math.Max(0, waitMillis);
        while (true)
        {
            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0 || !socket.Poll(TimeSpan.FromMilliseconds(remaining), SelectMode.SelectRead)) return -1;
            int length;
            try
            {
                length = socket.Receive(buffer);
            }
            catch (SocketException)
            {
                continue; // ICMP unreachable for an earlier send
            }
            if (length > 0 && buffer[0] is >= 20 and <= 63) return length;
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        try
        {
            socket.Send(buffer);
        }
        catch (SocketException)
        {
            // lost, as on a network: DTLS retransmits
        }
    }

    public void Close()
    {
        // The socket is the load peer's and carries SRTP after the handshake.
    }
}
