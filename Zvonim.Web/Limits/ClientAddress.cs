using System.Net;

namespace Zvonim.Web.Limits;

public static class ClientAddress
{
    /// <summary>The address a client is counted by: its IPv4 address (also when it arrives IPv4-mapped), or its IPv6
    /// /64 network, since one IPv6 host can hold a whole /64 of addresses.</summary>
    public static IPAddress Of(HttpContext context) => Normalize(context.Connection.RemoteIpAddress);

    public static IPAddress Normalize(IPAddress? remote)
    {
        var address = remote ?? IPAddress.None;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return address;
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }
}
