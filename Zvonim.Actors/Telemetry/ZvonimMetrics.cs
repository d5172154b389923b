using System.Diagnostics.Metrics;

namespace Zvonim.Actors.Telemetry;

/// <summary>
/// Zvonim's own instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>), exported by the host (the
/// web project publishes them for Prometheus at /metrics). With nobody listening each update costs a few nanoseconds.
/// </summary>
public static class ZvonimMetrics
{
    public const string MeterName = "Zvonim";

    public static readonly Meter Meter = new(MeterName);

    public static readonly UpDownCounter<long> LiveCalls =
        Meter.CreateUpDownCounter<long>("zvonim.calls.live", "{call}", "Calls and rooms running on this node, by kind (call, link-room, group-room)");

    public static readonly UpDownCounter<long> DormantRooms =
        Meter.CreateUpDownCounter<long>("zvonim.rooms.dormant", "{room}", "Room links made and not used yet, kept as records");

    public static readonly UpDownCounter<long> OpenSockets =
        Meter.CreateUpDownCounter<long>("zvonim.sockets.open", "{socket}", "Signalling WebSockets open on this node, by dialect");

    public static readonly Counter<long> RelayedFrames =
        Meter.CreateCounter<long>("zvonim.relay.frames", "{frame}", "Signalling frames relayed from one participant to others");

    public static readonly Counter<long> RelayedBytes =
        Meter.CreateCounter<long>("zvonim.relay.bytes", "By", "Bytes of the relayed frames");

    public static readonly Counter<long> Refusals =
        Meter.CreateCounter<long>("zvonim.refusals", "{refusal}", "Requests and sockets a call refused, by reason");

    public static readonly Counter<long> RateLimited =
        Meter.CreateCounter<long>("zvonim.rate_limited", "{request}", "Requests refused for an address's allowance, by kind");

    public static readonly Histogram<double> Admission = Meter.CreateHistogram<double>("zvonim.socket.admission.duration", "s",
        "From a socket's start to its call admitting it", advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        });

    public static readonly Counter<long> DeadLetters =
        Meter.CreateCounter<long>("zvonim.dead_letters", "{message}", "Messages that reached no actor (news for a socket that just closed included)");
}
