using System.Net;

namespace Zvonim.Media.Sfu;

/// <param name="Port">The one UDP port every session's media uses (0: any free one).</param>
/// <param name="Advertised">The addresses put in the SDP as host candidates; empty: every address of the machine's
/// interfaces that are up, loopback included (so it works on one machine, and in a namespace that has only lo).</param>
/// <param name="HandshakeTimeout">How long a DTLS handshake may take.</param>
/// <param name="InactivityTimeout">A connection heard from once and then silent this long (browsers send an ICE
/// consent check every few seconds, and media) is reported inactive.</param>
/// <param name="OnPacketThread">Run on the packet thread as it starts, before any packet: for what a host sets per
/// thread (its scheduling, say).</param>
public sealed record MediaEngineOptions(int Port = 0, IReadOnlyList<IPAddress>? Advertised = null, TimeSpan? HandshakeTimeout = null,
    TimeSpan? InactivityTimeout = null, Action? OnPacketThread = null)
{
    public TimeSpan Handshake => HandshakeTimeout ?? TimeSpan.FromSeconds(15);

    public TimeSpan Inactivity => InactivityTimeout ?? TimeSpan.FromSeconds(60);
}
