using System.Net;
using System.Net.Sockets;

namespace Zvonim.Tests.Web;

/// <summary>Connections from a chosen loopback address (all of 127.0.0.0/8 is this machine): to the server, each
/// address is another client, as people behind different networks are.</summary>
public static class SourceAddress
{
    public static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    public static readonly IPAddress Neighbour = IPAddress.Parse("127.0.0.3");

    public static SocketsHttpHandler Handler(IPAddress from) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>An HTTP client of <paramref name="server"/> that connects from <paramref name="from"/>.</summary>
    public static HttpClient ClientFrom(this ZvonimServer server, IPAddress from) =>
        new(Handler(from)) { BaseAddress = server.BaseAddress, Timeout = HttpKit.Patience };
}
