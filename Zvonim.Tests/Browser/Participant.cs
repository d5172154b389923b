using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Zvonim.Tests.Browser;

/// <summary>One person in a call: their own browser context and page, plus what the tests ask of the call page.</summary>
public sealed class Participant : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(45); // generous: CI machines have 2 cores and may be busy

    private readonly IBrowserContext _context;
    private readonly ITestOutputHelper _output;

    private Participant(string name, IBrowserContext context, IPage page, ITestOutputHelper output)
    {
        Name = name;
        _context = context;
        Page = page;
        _output = output;
    }

    public string Name { get; }

    /// <summary>
    /// Wait for a navigation only until the new page is committed; what the test needs next (a status) is waited
    /// for by itself. Waiting for "load" was seen to hang now and then on a busy machine although the page was up.
    /// </summary>
    public static readonly PageWaitForURLOptions Committed = new() { WaitUntil = WaitUntilState.Commit };

    public IPage Page { get; }

    public static async Task<Participant> OpenAsync(ChromiumFixture chromium, string name, ITestOutputHelper output,
        int width = 1280, int height = 800, string locale = "en-US")
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = locale,
            Permissions = ["camera", "microphone"],
            IgnoreHTTPSErrors = true, // the certificates of the tests' TLS proxies are made by the tests
        });
        context.SetDefaultTimeout((float)DefaultTimeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        var participant = new Participant(name, context, page, output);
        page.Console += (_, message) => participant.Log($"console.{message.Type}: {message.Text}");
        page.PageError += (_, error) => participant.Log($"page error: {error}");
        return participant;
    }

    public void Log(string line)
    {
        try
        {
            _output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {Name}: {line}");
        }
        catch (InvalidOperationException)
        {
            // the test is already over
        }
    }

    /// <summary>Opens <paramref name="url"/> and returns once its document is parsed (its scripts run from then on); the
    /// tests then wait for what the page shows. Not the "load" event: on a loaded CI machine it once came 45 s after
    /// the page had connected its call, with nothing for a user to see.</summary>
    public Task GotoAsync(string url) => Page.GotoAsync(url, new() { WaitUntil = WaitUntilState.DOMContentLoaded });

    /// <summary>The status line's state (data-state), e.g. waiting, connected, peerLeft, full.</summary>
    public Task<string?> StatusAsync() => Page.Locator("#status").GetAttributeAsync("data-state");

    public Task<string> StatusTextAsync() => Page.Locator("#status-text").InnerTextAsync();

    /// <summary>Waits until the status line shows one of the states.</summary>
    public Task WaitForStatusAsync(string state, TimeSpan? timeout = null) => WaitForStatusAsync([state], timeout);

    public async Task WaitForStatusAsync(string[] states, TimeSpan? timeout = null)
    {
        try
        {
            await Page.WaitForFunctionAsync(
                "states => states.includes(document.getElementById('status')?.dataset.state)",
                states,
                new PageWaitForFunctionOptions { Timeout = (float)(timeout ?? DefaultTimeout).TotalMilliseconds, PollingInterval = 100 });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"{Name}: status never became {string.Join(" or ", states)}; it is '{await StatusAsync()}' ({await StatusTextAsync()}). " +
                $"Page state: {await DiagnosticsAsync()}");
        }
    }

    /// <summary>The page's own view of its connection: inbound media counters and the selected candidate pair.</summary>
    public async Task<MediaStats?> StatsAsync()
    {
        var json = await Page.EvaluateAsync<JsonElement?>("async () => await window.zvonim.stats()");
        if (json is not { ValueKind: JsonValueKind.Object } stats) return null;
        return new MediaStats(
            Count(stats, "video", "framesDecoded"),
            Count(stats, "video", "packetsReceived"),
            Count(stats, "audio", "packetsReceived"),
            Count(stats, "audio", "totalSamplesReceived"),
            Energy(stats),
            CandidateType(stats, "local"),
            CandidateType(stats, "remote"),
            stats.TryGetProperty("session", out var session) ? session.GetString() : null);
    }

    private static long Count(JsonElement stats, string kind, string field) =>
        stats.TryGetProperty(kind, out var media) && media.ValueKind == JsonValueKind.Object && media.TryGetProperty(field, out var value)
            ? (long)value.GetDouble()
            : 0;

    private static double Energy(JsonElement stats) =>
        stats.TryGetProperty("audio", out var audio) && audio.ValueKind == JsonValueKind.Object && audio.TryGetProperty("totalAudioEnergy", out var energy)
            ? energy.GetDouble()
            : 0;

    private static string? CandidateType(JsonElement stats, string side) =>
        stats.TryGetProperty(side, out var candidate) && candidate.ValueKind == JsonValueKind.Object ? candidate.GetProperty("type").GetString() : null;

    /// <summary>
    /// Waits until media from the other side is really arriving: video frames decoded and audio received go up by
    /// the given amounts from now (on the same connection).
    /// </summary>
    public async Task<MediaStats> WaitForMediaFlowingAsync(int frames = 15, int audioPackets = 25, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var start = await StatsAsync();
        while (true)
        {
            await Task.Delay(200);
            var now = await StatsAsync();
            if (start is null || now is null || now.Session != start.Session)
            {
                start = now; // a new connection: count from its beginning
            }
            else if (now.FramesDecoded - start.FramesDecoded >= frames &&
                     now.AudioPacketsReceived - start.AudioPacketsReceived >= audioPackets &&
                     now.AudioSamplesReceived > start.AudioSamplesReceived)
            {
                return now;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Name}: media from the other side is not flowing: first {start}, last {now}.");
        }
    }

    /// <summary>Waits until video frames stop being decoded: no new frame for a whole second.</summary>
    public async Task WaitForVideoStoppedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var last = await StatsAsync();
        var since = DateTime.UtcNow;
        while (true)
        {
            await Task.Delay(200);
            var now = await StatsAsync();
            if (now?.FramesDecoded != last?.FramesDecoded || now?.Session != last?.Session)
            {
                last = now;
                since = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - since >= TimeSpan.FromSeconds(1))
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Name}: video frames kept being decoded: {now}.");
        }
    }

    /// <summary>What the page knows about its call and connection, for failure messages.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        try
        {
            return await Page.EvaluateAsync<string>("""
                () => JSON.stringify({
                  state: window.zvonim?.state,
                  pc: window.zvonim?.pc && {
                    connection: window.zvonim.pc.connectionState,
                    ice: window.zvonim.pc.iceConnectionState,
                    gathering: window.zvonim.pc.iceGatheringState,
                    signaling: window.zvonim.pc.signalingState,
                  },
                })
                """);
        }
        catch (PlaywrightException ex)
        {
            return $"(unavailable: {ex.Message})";
        }
    }

    /// <summary>The JS state the page exposes for debugging (window.zvonim.state).</summary>
    public Task<JsonElement> StateAsync() => Page.EvaluateAsync<JsonElement>("() => window.zvonim.state");

    public async Task<string?> PeerIdAsync()
    {
        var state = await StateAsync();
        return state.TryGetProperty("place", out var place) && place.ValueKind == JsonValueKind.Object
            ? place.GetProperty("peer_id").GetString()
            : null;
    }

    public async Task ScreenshotAsync(string testName)
    {
        var path = Path.Combine(Artifacts.Screenshots, $"{testName}-{Name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = false });
        Log($"screenshot {path}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _context.CloseAsync();
        }
        catch (PlaywrightException)
        {
            // the browser is already gone
        }
    }
}

public sealed record MediaStats(
    long FramesDecoded,
    long VideoPacketsReceived,
    long AudioPacketsReceived,
    long AudioSamplesReceived,
    double AudioEnergy,
    string? LocalCandidateType,
    string? RemoteCandidateType,
    string? Session);

/// <summary>Where test artifacts go: artifacts/screenshots at the repository root (git-ignored), or ZVONIM_ARTIFACTS.</summary>
public static class Artifacts
{
    public static string Screenshots { get; } = Create();

    private static string Create()
    {
        var root = Environment.GetEnvironmentVariable("ZVONIM_ARTIFACTS");
        if (string.IsNullOrEmpty(root))
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Zvonim.sln"))) dir = dir.Parent;
            root = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts");
        }
        var path = Path.Combine(root, "screenshots");
        Directory.CreateDirectory(path);
        return path;
    }
}
