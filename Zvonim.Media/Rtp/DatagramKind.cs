namespace Zvonim.Media.Rtp;

/// <summary>What a datagram on a WebRTC transport is, by <see cref="RtpDemux.Classify"/>.</summary>
public enum DatagramKind
{
    /// <summary>None of the below (ZRTP, TURN channel data, empty or garbage): drop it.</summary>
    Unknown,
    Stun,
    Dtls,
    Rtp,
    Rtcp,
}
