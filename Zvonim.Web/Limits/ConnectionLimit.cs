using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Zvonim.Web.Limits;

/// <summary>Kestrel connection middleware: a connection from an address that already holds its most connections is
/// closed as it arrives, before any HTTP is read, so one address cannot take the node's connections.</summary>
public static class ConnectionLimit
{
    public static async Task Run(AddressCounter perAddress, IReadOnlyList<IPNetwork> trustedProxies, ConnectionDelegate next,
        ConnectionContext connection)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (remote is not null && trustedProxies.Any(proxy => proxy.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)))
        {
            await next(connection);
            return;
        }
        var address = ClientAddress.Normalize(remote);
        if (!perAddress.TryOpen(address))
        {
            connection.Abort(new ConnectionAbortedException("Too many connections from this address."));
            return;
        }
        try
        {
            await next(connection);
        }
        finally
        {
            perAddress.Close(address);
        }
    }
}
