using Microsoft.Playwright;

namespace Zvonim.Tests.Browser;

/// <summary>
/// One headless Debian Chromium for the browser tests, driven by Playwright's bundled driver. Playwright never
/// downloads a browser here: the executable is given. Every participant gets its own browser context (its own
/// cookies, storage and permissions), like a separate browser.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>Debian's package; ZVONIM_CHROMIUM points elsewhere.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("ZVONIM_CHROMIUM") is { Length: > 0 } path
        ? path
        : "/usr/bin/chromium";

    public static readonly string[] Args =
    [
        "--no-sandbox", // CI runs as root
        "--use-fake-ui-for-media-stream", // grant camera and microphone without a prompt
        "--use-fake-device-for-media-stream", // a test pattern and a beep instead of real devices
        // Stay off the network: no Google services, updates, sync or QUIC probes.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-quic",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        // WebRTC between two contexts of one machine: plain host candidates (no mDNS names to resolve), and
        // loopback allowed, so calls connect even where loopback is the only interface.
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--allow-loopback-in-peer-connection",
        // A name that is not loopback to the browser (so only https makes a page on it a secure context), served here.
        $"--host-resolver-rules=MAP {Web.Nginx.HostName} 127.0.0.1",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is not running.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at {ExecutablePath}. The browser tests need Debian's Chromium: " +
                "apt-get install -y chromium (.ci/run does this), or set ZVONIM_CHROMIUM to a Chromium executable.");
        }
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Args,
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ChromiumFixture>
{
    /// <summary>Browser tests run one at a time: two-party video calls are heavy on a 2-core machine.</summary>
    public const string Name = "Browser";
}
