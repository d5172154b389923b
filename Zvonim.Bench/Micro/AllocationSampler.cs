using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Zvonim.Bench.Micro;

/// <summary>The runtime's allocation samples (GCAllocationTick: one per ~100 KB allocated), counted by type.</summary>
public sealed class AllocationSampler : EventListener
{
    public ConcurrentDictionary<string, long> Bytes { get; } = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName != "GCAllocationTick_V4" || e.Payload is null) return;
        var type = e.Payload[e.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")]);
        Bytes.AddOrUpdate(type, amount, (_, b) => b + amount);
    }
}
