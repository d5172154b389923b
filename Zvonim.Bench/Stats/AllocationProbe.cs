using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Zvonim.Bench.Stats;

/// <summary>
/// What another .NET process allocates, by type, over a window: the runtime's allocation samples (GCAllocationTick,
/// one per ~100 KB allocated) read through its diagnostics port (EventPipe), with the GC's own counts beside them.
/// Divide by the work done in the same window (setups, messages) for a cost per unit.
/// </summary>
public static class AllocationProbe
{
    public sealed record Window(TimeSpan Length, long SampledBytes, IReadOnlyList<(string Type, long Bytes)> ByType, int Gen0, int Gen1, int Gen2);

    /// <exception cref="ServerNotAvailableException">No .NET process with a diagnostics port has that id.</exception>
    public static Window Sample(int pid, TimeSpan length)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)ClrTraceEventParser.Keywords.GC;
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, keywords)], requestRundown: false);
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        var gens = new int[3];
        using var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCAllocationTick += tick =>
        {
            var type = tick.TypeName ?? "?";
            bytes[type] = bytes.GetValueOrDefault(type) + tick.AllocationAmount64;
        };
        source.Clr.GCStart += start =>
        {
            if (start.Depth is >= 0 and <= 2) gens[start.Depth]++;
        };
        using var timer = new Timer(_ => GcProbe.StopQuietly(session), null, length, Timeout.InfiniteTimeSpan);
        source.Process();
        var byType = bytes.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value)).ToList();
        return new Window(length, byType.Sum(p => p.Value), byType, gens[0], gens[1], gens[2]);
    }
}
