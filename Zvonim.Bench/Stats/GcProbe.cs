using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Zvonim.Bench.Stats;

/// <summary>The managed heap of a server process right after a full, blocking GC.</summary>
public sealed record HeapSample(long LiveBytes, long Gen0Bytes, long Gen1Bytes, long Gen2Bytes, long LohBytes, long PohBytes, long GcHandles);

/// <summary>
/// Asks another .NET process, through its diagnostics port (EventPipe), for a full blocking GC (the GCHeapCollect
/// keyword, as dotnet-gcdump does, without the heap walk) and reads the generation sizes it reports after it: the
/// live managed heap, free of the garbage that RSS still holds. Touches nothing else in the server.
/// </summary>
public static class GcProbe
{
    public static async Task<HeapSample?> ForceGcAsync(int pid, TimeSpan timeout)
    {
        if (pid == Environment.ProcessId)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
            var sizes = info.GenerationInfo.ToArray();
            return new HeapSample(sizes.Sum(g => g.SizeAfterBytes), sizes[0].SizeAfterBytes, sizes[1].SizeAfterBytes, sizes[2].SizeAfterBytes,
                sizes[3].SizeAfterBytes, sizes.Length > 4 ? sizes[4].SizeAfterBytes : 0, 0);
        }
        try
        {
            return await Task.Run(() => Collect(pid, timeout)).WaitAsync(timeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or TimeoutException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static HeapSample? Collect(int pid, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)], requestRundown: false);
        HeapSample? sample = null;
        var fullGc = false;
        using var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCStart += start => fullGc = start.Depth == 2;
        source.Clr.GCHeapStats += stats =>
        {
            if (!fullGc || sample is not null) return;
            sample = new HeapSample(
                stats.GenerationSize0 + stats.GenerationSize1 + stats.GenerationSize2 + stats.GenerationSize3 + stats.GenerationSize4,
                stats.GenerationSize0, stats.GenerationSize1, stats.GenerationSize2, stats.GenerationSize3, stats.GenerationSize4, stats.GCHandleCount);
            Task.Run(() => StopQuietly(session));
        };
        using var timer = new Timer(_ => StopQuietly(session), null, timeout, Timeout.InfiniteTimeSpan);
        source.Process();
        return sample;
    }

    /// <summary>Ends a diagnostics session whose process may have gone or already ended it.</summary>
    internal static void StopQuietly(EventPipeSession session)
    {
        try
        {
            session.Stop();
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or IOException or ObjectDisposedException or EndOfStreamException)
        {
        }
    }
}
