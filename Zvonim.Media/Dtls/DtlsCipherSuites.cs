using Org.BouncyCastle.Tls;

namespace Zvonim.Media.Dtls;

/// <summary>
/// The cipher suites the server offers: ECDHE with the ECDSA certificate only (forward secrecy, and the only kind
/// of certificate it has). AES-128-GCM first, the suite RFC 8827 §6.5 makes mandatory for WebRTC; AES-128-CBC-SHA
/// last, for older DTLS stacks.
/// </summary>
internal static class DtlsCipherSuites
{
    public static readonly int[] Offered =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    ];

    /// <summary>The IANA name of a suite, for logs (BouncyCastle has no name table of its own).</summary>
    public static string Name(int suite) => suite switch
    {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        _ => $"0x{suite:X4}",
    };
}
