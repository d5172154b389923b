using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Zvonim.Media.Stun;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Stun;

/// <summary>
/// A STUN Binding responder on UDP (RFC 5389): it tells each browser the address and port its request came from, so
/// that two browsers behind ordinary NATs find a path to each other with nothing else installed. It answers Binding
/// requests only (no TURN relaying: that is coturn's job), checks their FINGERPRINT when present, and answers any one
/// address at most <see cref="StunOptions.RequestsPerMinute"/> times a minute, so it cannot be used to flood others.
/// On by default when Zvonim listens beyond localhost; <c>/api/turn-config</c> advertises it when no STUN or TURN
/// server is configured.
/// </summary>
public sealed partial class StunResponder(IOptions<ZvonimOptions> options, IServer server, IHostApplicationLifetime lifetime,
    TimeProvider time, ILogger<StunResponder> log) : BackgroundService
{
    private const string Software = "Zvonim";

    /// <summary>The UDP port it answers on, once it does.</summary>
    public int? Port { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Stun;
        if (!await ShouldRunAsync(settings, stoppingToken)) return;
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, settings.Port));
        }
        catch (SocketException ex)
        {
            LogCannotListen(log, settings.Port, ex.SocketErrorCode);
            return;
        }
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        LogListening(log, Port.Value);
        var perAddress = new AddressBuckets(settings.RequestsPerMinute, time);
        var buffer = new byte[1500];
        EndPoint any = new IPEndPoint(IPAddress.IPv6Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                continue; // an ICMP error about an earlier answer: nothing to do
            }
            var from = (IPEndPoint)received.RemoteEndPoint;
            var request = StunMessage.Read(buffer.AsSpan(0, received.ReceivedBytes));
            if (request is not { Type: StunMessage.BindingRequest } || !request.FingerprintValid()) continue;
            if (!perAddress.TryTake(ClientAddress.Normalize(from.Address), out _)) continue;
            var answer = StunMessage.BindingResponse(request.TransactionId, from, Software);
            try
            {
                await socket.SendToAsync(answer, SocketFlags.None, from, stoppingToken);
            }
            catch (SocketException)
            {
                // the client is gone; the next request is answered as usual
            }
        }
    }

    /// <summary>Explicitly on or off, or (unset) on once Kestrel listens on anything but loopback.</summary>
    private async Task<bool> ShouldRunAsync(StunOptions settings, CancellationToken stoppingToken)
    {
        if (settings.Enabled is { } enabled) return enabled;
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try
            {
                await started.Task;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return addresses.Any(address => !IsLoopback(address));
    }

    private static bool IsLoopback(string url)
    {
        var host = BindingAddress.Parse(url).Host;
        return host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "STUN responder answering on UDP port {Port}")]
    private static partial void LogListening(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "STUN responder cannot listen on UDP port {Port} ({Error}); browsers get no STUN server from Zvonim")]
    private static partial void LogCannotListen(ILogger logger, int port, SocketError error);
}
