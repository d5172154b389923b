namespace Zvonim.Media.Rtcp;

/// <summary>RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1) and the feedback message types (FMT) a forwarder acts on.</summary>
public static class RtcpPacketType
{
    public const byte SenderReport = 200;
    public const byte ReceiverReport = 201;
    public const byte SourceDescription = 202;
    public const byte Bye = 203;
    public const byte App = 204;

    /// <summary>Transport-layer feedback (RFC 4585): FMT 1 is a generic NACK.</summary>
    public const byte TransportFeedback = 205;

    /// <summary>Payload-specific feedback (RFC 4585, RFC 5104): FMT 1 PLI, FMT 4 FIR, FMT 15 application layer (REMB).</summary>
    public const byte PayloadFeedback = 206;

    public const int GenericNack = 1;
    public const int PictureLossIndication = 1;
    public const int FullIntraRequest = 4;
}
