using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Browser;

/// <summary>The client's routes over plain HTTP: pages, their headers, and the QR code endpoint.</summary>
public sealed class ClientEndpointsTests : IAsyncLifetime
{
    private ZvonimServer _server = null!;
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _server = new ZvonimServer();
        _http = _server.Http();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("/", "/js/home.js")]
    [InlineData("/c/abc123", "/js/call.js")]
    [InlineData("/r/V1StGXR8_Z5jdHi6B", "/js/call.js")]
    [InlineData("/g/V1StGXR8_Z5jdHi6B", "/js/group.js")]
    public async Task Pages_are_served_with_a_strict_policy_and_no_referrer(string path, string script)
    {
        using var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(script, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_QR_endpoint_draws_a_link_as_SVG()
    {
        using var response = await _http.GetAsync("/api/qr?text=" + Uri.EscapeDataString("https://zvonim.example/c/V1StGXR8_Z5jdHi6B"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        var svg = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<svg", svg.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("viewBox", svg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?text=")]
    [InlineData("?text=javascript%3Aalert(1)")]
    [InlineData("?text=not%20a%20link")]
    [InlineData("?text=ftp%3A%2F%2Fexample.org%2F")]
    public async Task The_QR_endpoint_refuses_anything_but_a_web_link(string query)
    {
        using var response = await _http.GetAsync("/api/qr" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("invalid_request", (string?)body["error"]);
        Assert.False(string.IsNullOrEmpty((string?)body["message"]));
    }

    [Fact]
    public async Task The_QR_endpoint_refuses_overlong_text()
    {
        var text = "https://zvonim.example/c/" + new string('x', 1100);
        using var response = await _http.GetAsync("/api/qr?text=" + Uri.EscapeDataString(text));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_QR_endpoint_refuses_a_link_whose_UTF8_bytes_do_not_fit_and_still_draws_a_short_one()
    {
        // 809 characters, within the length limit, but 2 409 bytes in UTF-8: more than the largest QR code holds.
        var text = "http://a/" + new string('中', 800);
        using var response = await _http.GetAsync("/api/qr?text=" + Uri.EscapeDataString(text));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("invalid_request", (string?)body["error"]);
        Assert.Contains("bytes", (string?)body["message"], StringComparison.Ordinal);

        using var shorter = await _http.GetAsync("/api/qr?text=" + Uri.EscapeDataString("http://a/" + new string('中', 100)));
        Assert.Equal(HttpStatusCode.OK, shorter.StatusCode);
        Assert.Equal("image/svg+xml", shorter.Content.Headers.ContentType?.MediaType);
    }
}
