using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Zvonim.Actors.Telemetry;

/// <summary>
/// Running totals by the value of one tag (a call's kind, a socket's dialect), for an observable up-down counter: the
/// exporter reads each total as it is when scraped. An <see cref="UpDownCounter{T}"/> instead reports the adds a
/// listener has heard since it subscribed, so a listener that starts while sockets are open counts their closing and
/// not their opening (as a second host in the same process does), and shows too few.
/// </summary>
public sealed class TaggedTotals(string tag)
{
    private readonly ConcurrentDictionary<string, StripedCounter> _totals = new(StringComparer.Ordinal);

    public void Add(string value, long delta) => _totals.GetOrAdd(value, static _ => new StripedCounter()).Add(delta);

    public IEnumerable<Measurement<long>> Measure() =>
        _totals.Select(total => new Measurement<long>(total.Value.Sum(), new KeyValuePair<string, object?>(tag, total.Key))).ToArray();
}
