using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;

namespace Zvonim.Bench.Load;

/// <summary>
/// The generator's way to one server: HTTP for the apiv2 calls, and WebSockets. Loopback only — any other address is
/// refused. When the server is on 127.0.0.1 the WebSockets are spread over the source addresses 127.0.0.2… so that
/// tens of thousands of sockets do not run out of ephemeral ports of a single source address.
/// </summary>
public sealed class BenchClient : IDisposable
{
    private const int IpProtoIp = 0;
    private const int IpBindAddressNoPort = 24; // Linux IP_BIND_ADDRESS_NO_PORT: pick the port at connect()

    private readonly HttpMessageInvoker _webSockets;
    private readonly int _sourceAddresses;
    private int _nextSource;

    /// <param name="peerServer">Another node of the same cluster, where each call's joiner connects; null: <paramref name="server"/>.</param>
    public BenchClient(Uri server, int sourceAddresses = 8, Uri? peerServer = null)
    {
        Server = RequireLoopback(server);
        PeerServer = RequireLoopback(peerServer ?? server);
        _sourceAddresses = IPAddress.TryParse(server.Host, out var ip) && ip.Equals(IPAddress.Loopback) && OperatingSystem.IsLinux()
            ? Math.Clamp(sourceAddresses, 0, 250)
            : 0;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectCallback = ConnectAsync })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _webSockets = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, ConnectCallback = ConnectAsync });
    }

    public Uri Server { get; }

    public Uri PeerServer { get; }

    public HttpClient Http { get; }

    /// <summary>Throws unless <paramref name="uri"/> is a loopback address: this tool never sends traffic elsewhere.</summary>
    public static Uri RequireLoopback(Uri uri)
    {
        if (!uri.IsLoopback)
            throw new ArgumentException($"{uri} is not a loopback address; zvonim-bench only drives servers on this machine (127.0.0.0/8, localhost, ::1).");
        return uri;
    }

    /// <summary>POST /apiv2/calls: the new call and its creator's peer id.</summary>
    public async Task<(string CallId, string PeerId)> CreateCallAsync(CancellationToken ct)
    {
        using var response = await Http.PostAsync("/apiv2/calls", content: null, ct).ConfigureAwait(false);
        var json = await ReadAsync(response, ct).ConfigureAwait(false);
        return (json.GetProperty("call_id").GetString()!, json.GetProperty("peer_id").GetString()!);
    }

    /// <summary>POST /apiv2/calls/{id}/join: the joiner's peer id.</summary>
    public async Task<string> JoinCallAsync(string callId, CancellationToken ct)
    {
        using var response = await Http.PostAsync($"/apiv2/calls/{Uri.EscapeDataString(callId)}/join", content: null, ct).ConfigureAwait(false);
        var json = await ReadAsync(response, ct).ConfigureAwait(false);
        return json.GetProperty("peer_id").GetString()!;
    }

    /// <summary>Opens /apiv2/ws for one participant; the joiner's on <see cref="PeerServer"/>.</summary>
    public async Task<BenchSocket> ConnectAsync(string callId, string peerId, CancellationToken ct, bool joiner = false)
    {
        var uri = new Uri($"ws://{(joiner ? PeerServer : Server).Authority}/apiv2/ws?call_id={Uri.EscapeDataString(callId)}&peer_id={Uri.EscapeDataString(peerId)}");
        return await ConnectAsync(uri, ct).ConfigureAwait(false);
    }

    /// <summary>Opens a WebSocket to <paramref name="pathAndQuery"/> on <see cref="Server"/> (any protocol: PeerJS's too).</summary>
    public Task<BenchSocket> ConnectAsync(string pathAndQuery, CancellationToken ct) =>
        ConnectAsync(new Uri($"ws://{Server.Authority}{pathAndQuery}"), ct);

    private async Task<BenchSocket> ConnectAsync(Uri uri, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        // The server pings (KeepAliveInterval); a pending receive answers. The client sends no pings of its own.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await socket.ConnectAsync(uri, _webSockets, ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new BenchSocket(socket);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new BenchFailure($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        Socket socket;
        if (_sourceAddresses > 0)
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var n = (uint)Interlocked.Increment(ref _nextSource) % (uint)_sourceAddresses;
            socket.SetRawSocketOption(IpProtoIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(2 + n)]), 0));
        }
        else
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        }
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        _webSockets.Dispose();
    }
}

/// <summary>A scenario step that did not go as the protocol says (a wrong reply, a missing message, a timeout).</summary>
public sealed class BenchFailure(string message) : Exception(message);
