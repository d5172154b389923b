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

    // What is open now is observed when scraped (TaggedTotals says why not an UpDownCounter).
    private static readonly TaggedTotals LiveCallTotals = new("kind");
    private static readonly StripedCounter DormantRoomTotal = new();
    private static readonly TaggedTotals OpenSocketTotals = new("dialect");

    public static readonly ObservableUpDownCounter<long> LiveCalls = Meter.CreateObservableUpDownCounter("zvonim.calls.live",
        LiveCallTotals.Measure, "{call}", "Calls and rooms running on this node, by kind (call, link-room, group-room)");

    public static readonly ObservableUpDownCounter<long> DormantRooms = Meter.CreateObservableUpDownCounter("zvonim.rooms.dormant",
        DormantRoomTotal.Sum, "{room}", "Room links made and not used yet, kept as records");

    public static readonly ObservableUpDownCounter<long> OpenSockets = Meter.CreateObservableUpDownCounter("zvonim.sockets.open",
        OpenSocketTotals.Measure, "{socket}", "Signalling WebSockets open on this node, by dialect");

    public static void CallsLive(string kind, int delta) => LiveCallTotals.Add(kind, delta);

    public static void RoomsDormant(int delta) => DormantRoomTotal.Add(delta);

    public static void SocketsOpen(string dialect, int delta) => OpenSocketTotals.Add(dialect, delta);

    private static readonly KeyValuePair<string, object?> ByLane = new("path", "lane");
    private static readonly KeyValuePair<string, object?> ByActors = new("path", "actors");
    private static readonly StripedCounter FramesByLane = new();
    private static readonly StripedCounter FramesByActors = new();
    private static readonly StripedCounter Bytes = new();

    // Observable: the relay path only adds to a total per core, and the exporter reads the totals when scraped.
    public static readonly ObservableCounter<long> RelayedFrames = Meter.CreateObservableCounter("zvonim.relay.frames",
        () => new[] { new Measurement<long>(FramesByLane.Sum(), ByLane), new Measurement<long>(FramesByActors.Sum(), ByActors) },
        "{frame}", "Signalling frames relayed from one participant to others, by path (lane: the read loop's short way; actors)");

    public static readonly ObservableCounter<long> RelayedBytes =
        Meter.CreateObservableCounter("zvonim.relay.bytes", Bytes.Sum, "By", "Bytes of the relayed frames");

    /// <summary>Counts one relayed frame of <paramref name="bytes"/> by the way it went.</summary>
    public static void Relayed(int bytes, bool byLane)
    {
        (byLane ? FramesByLane : FramesByActors).Add(1);
        Bytes.Add(bytes);
    }

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
