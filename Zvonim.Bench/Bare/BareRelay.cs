using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace Zvonim.Bench.Bare;

/// <summary>
/// The baseline: the same apiv2 URLs and messages on bare Kestrel, with no actors — a dictionary of calls (two
/// sockets each) and a forward. Each frame is checked as JSON and its <c>type</c> found (any relay that routes by type
/// must), then the original bytes are written to the other socket under its send lock, straight from the receive
/// buffer. Nothing is queued: a slow reader slows its sender. Same WebSocket keep-alive as Zvonim's defaults, and the
/// same way of waiting for a message as Zvonim's bridge: a zero-byte read, so an idle socket holds no receive buffer
/// (unless <c>buffered</c>: then each socket keeps a 4 KB buffer for its whole life, as simpler relays do).
/// </summary>
public sealed class BareRelay : IAsyncDisposable
{
    private const int InitialBufferBytes = 4096;
    private const int MaxMessageBytes = 64 * 1024;
    private static readonly byte[][] Types = [.. new[] { "offer", "answer", "ice-candidate", "join", "leave" }.Select(Encoding.UTF8.GetBytes)];
    private static readonly byte[] JoinFrame = """{"type":"join"}"""u8.ToArray();
    private static readonly byte[] UnknownTypeFrame = """{"type":"error","error":"unknown_type","message":"Unknown message type."}"""u8.ToArray();
    private static readonly byte[] BadJsonFrame = """{"type":"error","error":"invalid_json","message":"A message must be a JSON object with a string 'type'."}"""u8.ToArray();

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Call> _calls = new(StringComparer.Ordinal);

    private readonly bool _lean;

    private BareRelay(WebApplication app, bool lean)
    {
        _app = app;
        _lean = lean;
    }

    /// <summary>e.g. http://127.0.0.1:41234/</summary>
    public Uri Url { get; private set; } = null!;

    public int Calls => _calls.Count;

    /// <summary>Starts on 127.0.0.1:<paramref name="port"/> (0: a free port). <paramref name="buffered"/>: each socket
    /// keeps a 4 KB receive buffer for its whole life instead of renting one per message (an experiment: what that
    /// buffer costs an idle socket).</summary>
    public static async Task<BareRelay> StartAsync(int port = 0, bool buffered = false, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var relay = new BareRelay(app, lean: !buffered);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15), KeepAliveTimeout = TimeSpan.FromSeconds(20) });
        app.MapPost("/apiv2/calls", relay.Create);
        app.MapPost("/apiv2/calls/{callId}/join", relay.Join);
        app.Map("/apiv2/ws", relay.WebSocketAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        relay.Url = new Uri(address.EndsWith('/') ? address : address + "/");
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private IResult Create()
    {
        var call = new Call(NewId(), NewId());
        _calls[call.Id] = call;
        return HttpResults.Json(new Dictionary<string, string> { ["call_id"] = call.Id, ["status"] = "waiting", ["peer_id"] = call.PeerA });
    }

    private IResult Join(string callId)
    {
        if (!_calls.TryGetValue(callId, out var call)) return HttpResults.Json(new { error = "not_found" }, statusCode: 404);
        lock (call)
        {
            if (call.PeerB is not null) return HttpResults.Json(new { error = "call_full" }, statusCode: 409);
            call.PeerB = NewId();
        }
        return HttpResults.Json(new Dictionary<string, string> { ["call_id"] = call.Id, ["peer_id"] = call.PeerB });
    }

    private async Task WebSocketAsync(HttpContext context)
    {
        var callId = context.Request.Query["call_id"].ToString();
        var peerId = context.Request.Query["peer_id"].ToString();
        if (!_calls.TryGetValue(callId, out var call) || (peerId != call.PeerA && peerId != call.PeerB) || !context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 404;
            return;
        }
        var isA = peerId == call.PeerA;
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var me = new Peer(socket);
        Peer? other;
        lock (call)
        {
            if (isA) call.A = me;
            else call.B = me;
            other = isA ? call.B : call.A;
        }
        await me.SendAsync(State(call.Id, other is null ? "waiting" : "active")).ConfigureAwait(false);
        if (other is not null)
        {
            await other.SendAsync(JoinFrame).ConfigureAwait(false);
            await me.SendAsync(JoinFrame).ConfigureAwait(false);
        }

        byte[]? buffer = _lean ? null : ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for the next frame without a buffer: ManagedWebSocket reads the header, returns 0 bytes.
                    var peek = await socket.ReceiveAsync(Memory<byte>.Empty, context.RequestAborted).ConfigureAwait(false);
                    if (peek.MessageType == WebSocketMessageType.Close)
                    {
                        await me.CloseAsync().ConfigureAwait(false);
                        return;
                    }
                    buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
                    if (peek.EndOfMessage)
                    {
                        await me.SendAsync(BadJsonFrame).ConfigureAwait(false); // an empty message
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                        continue;
                    }
                }
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        if (count >= MaxMessageBytes) return;
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), context.RequestAborted).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await me.CloseAsync().ConfigureAwait(false);
                        return;
                    }
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                switch (TypeOf(buffer.AsSpan(0, count)))
                {
                    case < -1:
                        await me.SendAsync(BadJsonFrame).ConfigureAwait(false);
                        break;
                    case -1:
                        await me.SendAsync(UnknownTypeFrame).ConfigureAwait(false);
                        break;
                    case <= 2: // offer, answer, ice-candidate: the original bytes to the other side
                        other = isA ? Volatile.Read(ref call.B) : Volatile.Read(ref call.A);
                        if (other is not null) await other.SendAsync(buffer.AsMemory(0, count)).ConfigureAwait(false);
                        break;
                    case 3: // join
                        await me.SendAsync(State(call.Id, call.A is not null && call.B is not null ? "active" : "waiting")).ConfigureAwait(false);
                        break;
                    default: // leave: the call ends for both
                        _calls.TryRemove(call.Id, out _);
                        if (call.A is { } a) await a.CloseAsync().ConfigureAwait(false);
                        if (call.B is { } b) await b.CloseAsync().ConfigureAwait(false);
                        break;
                }
                if (_lean)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            lock (call)
            {
                if (isA && call.A == me) call.A = null;
                else if (!isA && call.B == me) call.B = null;
                if (call.A is null && call.B is null) _calls.TryRemove(call.Id, out _);
            }
        }
    }

    /// <summary>The index of the frame's type in <see cref="Types"/>, -1 for an unknown type, -2 for bad JSON.</summary>
    internal static int TypeOf(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame);
        var index = -2;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return -2;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String)
                {
                    index = -1;
                    for (var i = 0; i < Types.Length; i++)
                    {
                        if (reader.ValueTextEquals(Types[i])) index = i;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? index : -2;
        }
        catch (JsonException)
        {
            return -2;
        }
    }

    private static byte[] State(string callId, string status) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"state\",\"call_id\":\"{callId}\",\"status\":\"{status}\",\"participants\":{{\"count\":{(status == "active" ? 2 : 1)},\"connected\":{(status == "active" ? 2 : 1)}}}}}");

    private static string NewId() => RandomNumberGenerator.GetString(Zvonim.Actors.Ids.Alphabet, Zvonim.Actors.Ids.Length);

    private sealed class Call(string id, string peerA)
    {
        public string Id { get; } = id;
        public string PeerA { get; } = peerA;
        public string? PeerB;
        public Peer? A;
        public Peer? B;
    }

    private sealed class Peer(WebSocket socket)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public async ValueTask SendAsync(ReadOnlyMemory<byte> frame)
        {
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (socket.State == WebSocketState.Open)
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
            {
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async ValueTask CloseAsync()
        {
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "call ended", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
            {
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }
}
