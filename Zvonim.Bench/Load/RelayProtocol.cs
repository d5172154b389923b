namespace Zvonim.Bench.Load;

/// <summary>How a server under test is spoken to: Zvonim's apiv2 (Zvonim and the bare relay) or the PeerJS server's.</summary>
public enum RelayProtocol
{
    Apiv2,
    PeerJs,
}
