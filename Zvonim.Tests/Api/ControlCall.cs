using System.Diagnostics;
using System.Net;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Api;

/// <summary>
/// An ordinary call that goes on while an attack runs: two people behind the neighbour's address, A telling B a
/// numbered offer every 100 ms. <see cref="StopAsync"/> stops the talk and asserts that B heard every offer, in order,
/// byte for byte. The 100 ms is the call's pace, not a wait for something to happen.
/// </summary>
public sealed class ControlCall : IAsyncDisposable
{
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http;
    private readonly WsClient _a;
    private readonly WsClient _b;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _talking;
    private readonly Task<(int Heard, TimeSpan WorstGap)> _listening;
    private int _heard;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ControlCall(HttpClient http, WsClient a, WsClient b)
    {
        _http = http;
        _a = a;
        _b = b;
        _talking = Task.Run(TalkAsync);
        _listening = Task.Run(ListenAsync);
    }

    public static async Task<ControlCall> StartAsync(Uri server, Func<string, string, Uri> socketUri, IPAddress from)
    {
        var http = new HttpClient(SourceAddress.Handler(from)) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(10) };
        var call = await ApiKit.CreateAsync(http);
        var peerB = await ApiKit.JoinAsync(http, call.CallId);
        var a = await WsClient.ConnectAsync(socketUri(call.CallId, call.PeerId), "control A", from);
        var b = await WsClient.ConnectAsync(socketUri(call.CallId, peerB), "control B", from);
        await a.ExpectAsync("join");
        return new ControlCall(http, a, b);
    }

    private static string Offer(object n) => $$"""{"type":"offer","sdp":"v=0\r\no=- control-{{n}} 2 IN IP4 127.0.0.1\r\n"}""";

    private static readonly string End = Offer("end");

    private async Task<int> TalkAsync()
    {
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            await _a.SendTextAsync(Offer(n++));
            try
            {
                await Task.Delay(Pace, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return n;
    }

    private async Task<(int, TimeSpan)> ListenAsync()
    {
        var heard = 0;
        var worst = TimeSpan.Zero;
        var last = Stopwatch.StartNew();
        while (true)
        {
            var offer = await _b.ExpectAsync("offer", timeout: TimeSpan.FromSeconds(10));
            if (offer.Raw == End) break;
            Assert.Equal(Offer(heard), offer.Raw); // nothing lost, reordered or changed
            heard++;
            Volatile.Write(ref _heard, heard);
            Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            if (last.Elapsed > worst) worst = last.Elapsed;
            last.Restart();
        }
        return (heard, worst);
    }

    /// <summary>Waits until B has heard <paramref name="more"/> offers beyond those heard so far: the call goes on.</summary>
    public async Task GoesOnAsync(int more = 5)
    {
        var target = Volatile.Read(ref _heard) + more;
        while (Volatile.Read(ref _heard) < target)
        {
            var progress = Volatile.Read(ref _progress).Task;
            if (Volatile.Read(ref _heard) >= target) break;
            if (_listening.IsCompleted) await _listening; // a failure of the listener surfaces here
            await Task.WhenAny(progress, _listening).WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Stops talking; asserts every offer reached B in order. Returns how many, and the longest silence B heard.</summary>
    public async Task<(int Offers, TimeSpan WorstGap)> StopAsync()
    {
        await _stop.CancelAsync();
        var said = await _talking.WaitAsync(TimeSpan.FromSeconds(10));
        await _a.SendTextAsync(End);
        var (heard, worst) = await _listening.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(said, heard);
        Assert.False(_a.IsClosed || _b.IsClosed, "the control call's sockets must stay open");
        return (heard, worst);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _http.Dispose();
        _stop.Dispose();
    }
}
