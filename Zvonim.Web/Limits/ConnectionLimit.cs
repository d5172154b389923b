using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Zvonim.Web.Limits;

/// <summary>Kestrel connection middleware: a connection from an address that already holds its most connections is
/// closed as it arrives, before any HTTP is read, so one address cannot take the node's connections.</summary>
public static class ConnectionLimit
{
    public static async Task Run(AddressCounter perAddress, ConnectionDelegate next, ConnectionContext connection)
    {
        var address = ClientAddress.Normalize((connection.RemoteEndPoint as IPEndPoint)?.Address);
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
