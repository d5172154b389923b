using System.Diagnostics.Metrics;
using Zvonim.Actors.Telemetry;

namespace Zvonim.Tests.Telemetry;

/// <summary>
/// What is open now (calls, sockets) is reported as it is when read: an exporter that starts while sockets are open
/// shows them, and their closing takes them away, never below what is open.
/// </summary>
public sealed class TaggedTotalsTests
{
    [Fact]
    public void A_listener_that_starts_late_sees_what_is_open_and_then_each_change()
    {
        var totals = new TaggedTotals("dialect");
        using var meter = new Meter("Zvonim.Tests." + nameof(TaggedTotalsTests));
        meter.CreateObservableUpDownCounter("open", totals.Measure);
        totals.Add("call", 1);
        totals.Add("call", 1);
        totals.Add("room", 1);

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => seen[(string)tags[0].Value!] = value);
        listener.Start();

        listener.RecordObservableInstruments();
        Assert.Equal(2, seen["call"]);
        Assert.Equal(1, seen["room"]);

        totals.Add("call", -1);
        totals.Add("room", -1);
        listener.RecordObservableInstruments();
        Assert.Equal(1, seen["call"]);
        Assert.Equal(0, seen["room"]);
    }
}
