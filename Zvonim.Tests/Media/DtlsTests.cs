using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Authentication;
using System.Security.Cryptography;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Zvonim.Media.Dtls;

namespace Zvonim.Tests.Media;

/// <summary>
/// The DTLS-SRTP server against BouncyCastle's own DTLS client, in process: the client's datagrams go straight into
/// <see cref="DtlsServerSession.Feed"/>, the session's come back through an in-memory queue.
/// </summary>
public sealed class DtlsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private static readonly DtlsCertificate ServerCertificate = DtlsCertificate.Create();
    private static readonly DtlsCertificate ClientCertificate = DtlsCertificate.Create();
    private static readonly DtlsCertificate OtherCertificate = DtlsCertificate.Create();

    private static string Sha256Of(ReadOnlySpan<byte> der) =>
        string.Join(':', SHA256.HashData(der).Select(b => b.ToString("X2")));

    [Theory]
    [InlineData(new[] { DtlsSrtpProfile.AesCm128HmacSha1_80, DtlsSrtpProfile.AeadAes128Gcm }, true, DtlsSrtpProfile.AeadAes128Gcm, 56)]
    [InlineData(new[] { DtlsSrtpProfile.AesCm128HmacSha1_80 }, true, DtlsSrtpProfile.AesCm128HmacSha1_80, 60)]
    [InlineData(new[] { DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.AesCm128HmacSha1_80 }, false, DtlsSrtpProfile.AesCm128HmacSha1_80, 60)]
    [InlineData(new[] { DtlsSrtpProfile.AeadAes128Gcm }, false, DtlsSrtpProfile.AeadAes128Gcm, 56)]
    public async Task The_handshake_chooses_the_preferred_profile_offered_and_both_sides_export_the_same_keys(
        int[] offered, bool preferGcm, int expectedProfile, int expectedLength)
    {
        var client = new SrtpClient(ClientCertificate, offered);
        using var association = Association.Start(client, ClientCertificate.Fingerprint, preferGcm);

        var handshake = association.Session.HandshakeAsync(Patience);
        var result = await handshake;
        await association.Client.WaitAsync(Patience);

        Assert.Same(handshake, association.Session.HandshakeAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal(expectedProfile, result.SrtpProfile);
        Assert.Equal(expectedProfile, client.SrtpProfile);
        Assert.Equal(expectedLength, result.KeyingMaterial.Length);
        Assert.Equal(client.KeyingMaterial, result.KeyingMaterial);
        Assert.Equal("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", result.CipherSuite);
        Assert.Equal(ServerCertificate.Sha256Fingerprint, client.ServerFingerprint);
        // RFC 5764 §4.2: client key | server key | client salt | server salt.
        var saltLength = DtlsSrtpProfile.MasterSaltLength(expectedProfile);
        Assert.Equal(result.KeyingMaterial[16..32], result.ServerMasterKey().ToArray());
        Assert.Equal(result.KeyingMaterial[(32 + saltLength)..], result.ServerMasterSalt().ToArray());
        Assert.False(association.Session.Closed.IsCompleted);
    }

    [Fact]
    public async Task The_remote_fingerprint_is_matched_whatever_case_its_sdp_wrote_it_in()
    {
        var fingerprint = Fingerprint.Parse("SHA-256 " + ClientCertificate.Sha256Fingerprint.ToLowerInvariant())!;
        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm);
        using var association = Association.Start(client, fingerprint);

        var result = await association.Session.HandshakeAsync(Patience);
        await association.Client.WaitAsync(Patience);

        Assert.Equal(client.KeyingMaterial, result.KeyingMaterial);
    }

    [Fact]
    public async Task A_client_offering_only_the_cbc_suite_gets_it()
    {
        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm)
        {
            Suites = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA],
        };
        using var association = Association.Start(client, ClientCertificate.Fingerprint);

        var result = await association.Session.HandshakeAsync(Patience);
        await association.Client.WaitAsync(Patience);

        Assert.Equal("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", result.CipherSuite);
        Assert.Equal(client.KeyingMaterial, result.KeyingMaterial);
    }

    [Fact]
    public async Task A_lost_final_flight_is_resent_when_the_client_retransmits_its_own()
    {
        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm) { ResendMillis = 50 };
        // The server's last flight, ChangeCipherSpec and then Finished under epoch 1, lost on the way.
        using var association = Association.Start(client, ClientCertificate.Fingerprint,
            drop: datagram => datagram[0] == ContentType.change_cipher_spec || datagram[3..5] is [0, 1]);

        var result = await association.Session.HandshakeAsync(Patience);
        Assert.True(association.Pipe.Dropped > 0);
        Assert.False(association.Client.IsCompleted);
        association.Pipe.Drop = null;
        await association.Client.WaitAsync(Patience);

        Assert.Equal(client.KeyingMaterial, result.KeyingMaterial);
    }

    [Fact]
    public async Task A_client_whose_certificate_is_not_the_one_its_sdp_promised_is_refused()
    {
        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm);
        using var association = Association.Start(client, OtherCertificate.Fingerprint);

        await Assert.ThrowsAsync<AuthenticationException>(() => association.Session.HandshakeAsync(Patience));
        var alert = await Assert.ThrowsAsync<TlsFatalAlertReceived>(() => association.Client.WaitAsync(Patience));
        Assert.Equal(AlertDescription.bad_certificate, alert.AlertDescription);
        Assert.True(association.Session.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_client_that_presents_no_certificate_is_refused()
    {
        var client = new SrtpClient(certificate: null, DtlsSrtpProfile.AeadAes128Gcm);
        using var association = Association.Start(client, ClientCertificate.Fingerprint);

        await Assert.ThrowsAsync<AuthenticationException>(() => association.Session.HandshakeAsync(Patience));
        await Assert.ThrowsAsync<TlsFatalAlertReceived>(() => association.Client.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_silent_client_times_the_handshake_out_and_ends_the_session()
    {
        using var session = new DtlsServerSession(ServerCertificate, ClientCertificate.Fingerprint, _ => { });

        await Assert.ThrowsAsync<TimeoutException>(() => session.HandshakeAsync(TimeSpan.FromMilliseconds(200)));
        await session.Closed.WaitAsync(Patience);
    }

    [Fact]
    public async Task Disposal_during_the_handshake_stops_it_at_once()
    {
        var session = new DtlsServerSession(ServerCertificate, ClientCertificate.Fingerprint, _ => { });
        var handshake = session.HandshakeAsync(TimeSpan.FromMinutes(1));
        await session.Waiting.WaitAsync(Patience); // blocked in BouncyCastle, waiting for a client that never speaks
        Assert.False(handshake.IsCompleted);

        var clock = Stopwatch.StartNew();
        session.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handshake.WaitAsync(Patience));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the handshake took {clock.Elapsed} to stop");
        Assert.True(session.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_close_notify_from_the_client_ends_the_session()
    {
        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm);
        using var association = Association.Start(client, ClientCertificate.Fingerprint);
        await association.Session.HandshakeAsync(Patience);
        var clientTransport = await association.Client.WaitAsync(Patience);
        Assert.False(association.Session.Closed.IsCompleted);

        clientTransport.Close();

        await association.Session.Closed.WaitAsync(Patience);
    }

    [Fact]
    public async Task Disposal_after_the_handshake_says_close_notify_and_ends_the_session()
    {
        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm);
        using var association = Association.Start(client, ClientCertificate.Fingerprint);
        await association.Session.HandshakeAsync(Patience);
        await association.Client.WaitAsync(Patience);
        var sentBefore = association.Pipe.Sent.Count;

        association.Session.Dispose();

        Assert.True(association.Session.Closed.IsCompleted);
        var after = association.Pipe.Sent.Skip(sentBefore).ToList();
        Assert.Single(after);
        Assert.Equal(ContentType.alert, after[0][0]);
    }

    [Fact]
    public void The_certificate_fingerprint_is_the_uppercase_sha256_of_its_der_in_colon_separated_pairs()
    {
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", ServerCertificate.Sha256Fingerprint);
        Assert.NotEqual(ServerCertificate.Sha256Fingerprint, ClientCertificate.Sha256Fingerprint);
    }

    [Theory]
    [InlineData("sha-1")]
    [InlineData("sha-224")]
    [InlineData("sha-256")]
    [InlineData("sha-384")]
    [InlineData("sha-512")]
    public async Task A_client_is_checked_under_every_hash_function_an_offer_may_name_and_an_impostor_refused(string algorithm)
    {
        // Hashed here with BouncyCastle's digests, not the server's list, so the two are checked against each other.
        var promised = $"{algorithm} {Fingerprint.Format(DigestUtilities.CalculateDigest(algorithm.ToUpperInvariant(), ClientCertificate.Der.ToArray()))}";
        Assert.True(Fingerprint.Parse(promised)?.IsSupported); // what SDP negotiation accepts...

        var client = new SrtpClient(ClientCertificate, DtlsSrtpProfile.AeadAes128Gcm);
        using (var association = Association.Start(client, Fingerprint.Parse(promised)!)) // ...the handshake verifies
        {
            var result = await association.Session.HandshakeAsync(Patience);
            await association.Client.WaitAsync(Patience);
            Assert.Equal(client.KeyingMaterial, result.KeyingMaterial);
        }

        var impostor = new SrtpClient(OtherCertificate, DtlsSrtpProfile.AeadAes128Gcm);
        using var refused = Association.Start(impostor, Fingerprint.Parse(promised)!);
        await Assert.ThrowsAsync<AuthenticationException>(() => refused.Session.HandshakeAsync(Patience));
    }

    [Fact]
    public void A_fingerprint_under_a_hash_the_server_does_not_know_is_refused_before_any_handshake()
    {
        // SDP reads it (the grammar allows any hash's name), but no certificate could be checked against it.
        var md5 = Fingerprint.Parse("md5 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")!;
        Assert.Throws<ArgumentException>(() => new DtlsServerSession(ServerCertificate, md5, _ => { }));
    }

    /// <summary>A session and a BouncyCastle DTLS client connecting to it on a thread of its own (its handshake
    /// blocks as the server's does).</summary>
    private sealed class Association : IDisposable
    {
        private Association(DtlsServerSession session, ClientPipe pipe, Task<DtlsTransport> client)
        {
            Session = session;
            Pipe = pipe;
            Client = client;
        }

        public DtlsServerSession Session { get; }
        public ClientPipe Pipe { get; }
        public Task<DtlsTransport> Client { get; }

        public static Association Start(SrtpClient client, Fingerprint expectedFingerprint, bool preferGcm = true,
            Func<byte[], bool>? drop = null)
        {
            var pipe = new ClientPipe { Drop = drop };
            var session = new DtlsServerSession(ServerCertificate, expectedFingerprint, pipe.Deliver, preferGcm);
            pipe.Server = session;
            var connected = Task.Factory.StartNew(() => new DtlsClientProtocol().Connect(client, pipe),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return new Association(session, pipe, connected);
        }

        public void Dispose()
        {
            Session.Dispose();
            Pipe.Close();
        }
    }

    /// <summary>The client's end of the wire: what it sends is fed to the session, what the session sends waits
    /// here for the client's receive.</summary>
    private sealed class ClientPipe : DatagramTransport
    {
        private readonly BlockingCollection<byte[]> _fromServer = new();
        private int _dropped;

        public DtlsServerSession? Server { get; set; }

        /// <summary>Every datagram the session sent, in order, those lost included.</summary>
        public ConcurrentQueue<byte[]> Sent { get; } = new();

        /// <summary>Which of the session's datagrams the wire loses.</summary>
        public Func<byte[], bool>? Drop { get; set; }

        public int Dropped => Volatile.Read(ref _dropped);

        public void Deliver(ReadOnlyMemory<byte> datagram)
        {
            var copy = datagram.ToArray();
            Sent.Enqueue(copy);
            if (Drop?.Invoke(copy) == true)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }
            try
            {
                _fromServer.Add(copy);
            }
            catch (InvalidOperationException)
            {
                // The client has gone: the datagram is lost, as on a network.
            }
        }

        public int GetReceiveLimit() => 1500;

        public int GetSendLimit() => 1200;

        public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            if (_fromServer.IsCompleted)
                throw new IOException("The client's pipe is closed.");
            if (!_fromServer.TryTake(out var datagram, waitMillis))
                return -1;
            datagram.CopyTo(buffer);
            return datagram.Length;
        }

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer) => Server!.Feed(buffer);

        public void Close() => _fromServer.CompleteAdding();
    }

    /// <summary>A WebRTC-like DTLS client: DTLS 1.2, use_srtp with the given profiles, its own certificate when
    /// asked (or none), and the SRTP keys exported as the server exports them.</summary>
    private sealed class SrtpClient(DtlsCertificate? certificate, params int[] profiles)
        : DefaultTlsClient(new BcTlsCrypto(new SecureRandom()))
    {
        public int SrtpProfile { get; private set; }
        public byte[]? KeyingMaterial { get; private set; }
        public string? ServerFingerprint { get; private set; }
        public int ResendMillis { get; init; } = 1000;
        public int[]? Suites { get; init; }

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => Suites ?? base.GetSupportedCipherSuites();

        // A refused client gets an alert; this only keeps a broken test from leaving a thread behind.
        public override int GetHandshakeTimeoutMillis() => (int)Patience.TotalMilliseconds;

        public override int GetHandshakeResendTimeMillis() => ResendMillis;

        public override IDictionary<int, byte[]> GetClientExtensions()
        {
            var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(profiles, TlsUtilities.EmptyBytes));
            return extensions;
        }

        public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
        {
            base.ProcessServerExtensions(serverExtensions);
            SrtpProfile = Assert.Single(TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions).ProtectionProfiles);
        }

        public override TlsAuthentication GetAuthentication() => new Authentication(this);

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            KeyingMaterial = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null,
                DtlsSrtpProfile.KeyingMaterialLength(SrtpProfile));
        }

        private sealed class Authentication(SrtpClient client) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
                client.ServerFingerprint = Sha256Of(serverCertificate.Certificate.GetCertificateAt(0).GetEncoded());

            public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) =>
                client.Certificate?.CreateSigner(client.m_context, (BcTlsCrypto)client.Crypto);
        }

        private DtlsCertificate? Certificate => certificate;
    }
}
