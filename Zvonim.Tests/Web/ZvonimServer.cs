using Microsoft.Extensions.Time.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Web;

/// <summary>
/// The real Zvonim host on real Kestrel, on a free loopback port, with settings and (optionally) virtual time
/// swapped in. Each instance is a separate server.
/// </summary>
public sealed class ZvonimServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Serilog:MinimumLevel:Default"] = "Warning",
        // Functional tests act as many clients from one address (and send garbage on purpose); the limits themselves
        // are tested in NoisyNeighbourTests, which set them.
        ["Zvonim:Limits:MaxInvalidMessagesPerMinute"] = "100000",
        ["Urls"] = "http://127.0.0.1:0",
        // Servers of parallel tests must not restore each other's calls: nothing is kept unless a test asks.
        ["Zvonim:Store:Path"] = "",
    };

    private readonly Action<KestrelServerOptions>? _kestrel;

    /// <param name="kestrel">Kestrel's options changed after the app has set them (its caps come from the machine).</param>
    public ZvonimServer(IDictionary<string, string?>? settings = null, FakeTimeProvider? time = null, Action<KestrelServerOptions>? kestrel = null)
    {
        Time = time;
        _kestrel = kestrel;
        foreach (var (key, value) in Zvonim.Web.Settings.LimitOptions.PerAddressLifted(":")) _settings[key] = value;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) _settings[key] = value;
        UseKestrel(); // the port comes from Urls (127.0.0.1:0): overriding it here races the app's own start
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)));
    }

    /// <summary>The clock the server runs on, when the test drives it.</summary>
    public FakeTimeProvider? Time { get; }

    /// <summary>e.g. http://127.0.0.1:41234/</summary>
    public Uri BaseAddress { get; }

    public HttpClient Http() => new() { BaseAddress = BaseAddress };

    public Uri WebSocketUri(string pathAndQuery) =>
        new($"ws://{BaseAddress.Authority}{(pathAndQuery.StartsWith('/') ? "" : "/")}{pathAndQuery}");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(_settings));
        if (Time is not null) builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
        if (_kestrel is not null) builder.ConfigureServices(services => services.PostConfigure(_kestrel));
    }
}
