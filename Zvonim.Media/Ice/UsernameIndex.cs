using System.Text;

namespace Zvonim.Media.Ice;

/// <summary>
/// Finds which session a connectivity check is for when many sessions share one UDP port: the local part of its
/// USERNAME ("localUfrag:remoteUfrag") is the ufrag Zvonim gave that session. Only the shape is checked here (a Binding
/// request whose attributes fit); the session's <see cref="IceLiteResponder"/> then checks integrity and fingerprint,
/// so a forged USERNAME gets nothing but a lookup.
/// </summary>
public static class UsernameIndex
{
    /// <summary>The local ufrag as a string, e.g. to look up a <c>Dictionary&lt;string, Session&gt;</c>.</summary>
    public static bool TryGetLocalUfrag(ReadOnlySpan<byte> datagram, out string ufrag)
    {
        if (TryGetLocalUfragBytes(datagram, out var bytes))
        {
            ufrag = Encoding.UTF8.GetString(bytes);
            return true;
        }
        ufrag = "";
        return false;
    }

    /// <summary>The local ufrag's bytes within <paramref name="datagram"/>, without allocating (for a lookup keyed by
    /// bytes, or decoded into a stack buffer for a span-keyed alternate lookup).</summary>
    public static bool TryGetLocalUfragBytes(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> ufrag)
    {
        ufrag = default;
        if (!IceStun.TryReadBindingRequest(datagram, out var request)) return false;
        var username = request.Username(datagram);
        var colon = username.IndexOf((byte)':');
        if (colon <= 0) return false;
        ufrag = username[..colon];
        return true;
    }
}
