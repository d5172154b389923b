namespace Zvonim.Media.Srtp;

/// <summary>
/// One direction's master key and master salt, as DTLS-SRTP hands them over (RFC 5764 §4.2). Session keys are
/// derived from them (RFC 3711 §4.3); the master key itself never encrypts a packet.
/// </summary>
public sealed record SrtpMasterKeys(byte[] Key, byte[] Salt);
