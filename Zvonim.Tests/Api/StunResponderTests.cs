using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Zvonim.Media.Stun;
using Zvonim.Tests.Web;
using Zvonim.Web.Stun;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>Zvonim's own STUN responder over real UDP: browsers behind NATs learn their public address from it.</summary>
public sealed class StunResponderTests
{
    private static (ZvonimServer Server, int Port) Start(params (string, string)[] more)
    {
        var server = Server([("Zvonim:Stun:Enabled", "true"), ("Zvonim:Stun:Port", "0"), .. more]);
        return (server, server.Services.GetRequiredService<StunResponder>().Port ?? throw new InvalidOperationException("STUN is not listening"));
    }

    private static byte[] BindingRequest(out byte[] transactionId)
    {
        transactionId = new byte[12];
        Random.Shared.NextBytes(transactionId);
        var request = new byte[20];
        request[1] = 0x01;
        request[4] = 0x21; request[5] = 0x12; request[6] = 0xA4; request[7] = 0x42;
        transactionId.CopyTo(request, 8);
        return request;
    }

    private static async Task<StunMessage?> AskAsync(UdpClient udp, int port, byte[] datagram, TimeSpan? wait = null)
    {
        await udp.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, port));
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(5));
        try
        {
            return StunMessage.Read((await udp.ReceiveAsync(timeout.Token)).Buffer);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_binding_request_is_answered_with_the_address_it_came_from_and_turn_config_advertises_the_responder()
    {
        var (server, port) = Start();
        await using var running = server;
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var answer = await AskAsync(udp, port, BindingRequest(out var transactionId));
        Assert.NotNull(answer);
        Assert.Equal(StunMessage.BindingSuccess, answer.Type);
        Assert.Equal(transactionId, answer.TransactionId.ToArray());
        Assert.Equal(udp.Client.LocalEndPoint, answer.XorMapped());
        Assert.True(answer.FingerprintValid());

        // Garbage gets nothing, and the next request is answered as before.
        Assert.Null(await AskAsync(udp, port, "not stun at all, just bytes"u8.ToArray(), TimeSpan.FromMilliseconds(300)));
        Assert.NotNull(await AskAsync(udp, port, BindingRequest(out _)));

        using var http = server.Client();
        var config = await OkAsync(await http.GetAsync("/api/turn-config"));
        Assert.Equal($"stun:127.0.0.1:{port}", (string?)config["iceServers"]![0]!["urls"]![0]);
    }

    [Fact]
    public async Task One_address_is_answered_at_most_its_allowance_so_the_responder_cannot_flood_anyone()
    {
        var (server, port) = Start(("Zvonim:Stun:RequestsPerMinute", "3"));
        await using var running = server;
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        for (var i = 0; i < 3; i++) Assert.NotNull(await AskAsync(udp, port, BindingRequest(out _)));
        Assert.Null(await AskAsync(udp, port, BindingRequest(out _), TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Coturns_stun_client_gets_its_reflexive_address()
    {
        var (server, port) = Start();
        await using var running = server;
        var start = new ProcessStartInfo("turnutils_stunclient") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1" }) start.ArgumentList.Add(arg);
        using var client = Process.Start(start)!;
        var stdout = client.StandardOutput.ReadToEndAsync();
        var stderr = await client.StandardError.ReadToEndAsync();
        await client.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var output = await stdout + stderr;
        Assert.Contains("UDP reflexive addr: 127.0.0.1:", output);
    }
}
