using System.Net;
using Zvonim.Tests.Web;
using static Zvonim.Tests.Api.ApiKit;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>
/// Behind a reverse proxy that Zvonim trusts (loopback by default, <c>Zvonim:Proxy:TrustedProxies</c>), the client is
/// the one the proxy names: links carry the scheme and host the user typed, and per-client limits count each client
/// behind the proxy apart. From anyone else the same headers change nothing.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static HttpRequestMessage ViaProxy(HttpMethod method, string path, string client, string proto = "https", string host = "call.example.org")
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", client);
        request.Headers.Add("X-Forwarded-Proto", proto);
        request.Headers.Add("X-Forwarded-Host", host);
        return request;
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_a_room_link_carries_the_scheme_and_host_the_user_sees()
    {
        await using var server = Server();
        using var http = server.Client(); // from 127.0.0.1: the proxy on this machine
        using var created = await http.SendAsync(ViaProxy(HttpMethod.Post, "/api/rooms", "203.0.113.7"));
        var link = (string?)(await OkAsync(created))["url"];
        Assert.StartsWith("https://call.example.org/r/", link);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance()
    {
        await using var server = Server(("Zvonim:Limits:CreatesPerMinute", "2"));
        using var http = server.Client();
        for (var i = 0; i < 2; i++)
            await OkAsync(await http.SendAsync(ViaProxy(HttpMethod.Post, "/apiv2/calls", "203.0.113.1")));
        await AssertErrorAsync(await http.SendAsync(ViaProxy(HttpMethod.Post, "/apiv2/calls", "203.0.113.1")),
            HttpStatusCode.TooManyRequests, "rate_limited");
        // Another person behind the same proxy is not held back by the first.
        await OkAsync(await http.SendAsync(ViaProxy(HttpMethod.Post, "/apiv2/calls", "203.0.113.2")));
    }

    [Fact]
    public async Task From_an_address_not_trusted_the_forwarded_headers_change_nothing()
    {
        await using var server = Server(("Zvonim:Proxy:TrustedProxies", "10.0.0.0/8"), ("Zvonim:Limits:CreatesPerMinute", "2"));
        using var http = server.Client();
        using var created = await http.SendAsync(ViaProxy(HttpMethod.Post, "/api/rooms", "203.0.113.7"));
        var link = (string?)(await OkAsync(created))["url"];
        Assert.StartsWith(server.BaseAddress.ToString().TrimEnd('/') + "/r/", link);
        // A client cannot make itself many clients by naming others: it is counted by its own address.
        await OkAsync(await http.SendAsync(ViaProxy(HttpMethod.Post, "/apiv2/calls", "203.0.113.2")));
        await AssertErrorAsync(await http.SendAsync(ViaProxy(HttpMethod.Post, "/apiv2/calls", "203.0.113.3")),
            HttpStatusCode.TooManyRequests, "rate_limited");
    }
}
