using Akka.Actor;
using Akka.Cluster;
using OpenTelemetry.Metrics;
using Zvonim.Actors.Telemetry;

namespace Zvonim.Web.Telemetry;

/// <summary>
/// Prometheus metrics at <c>/metrics</c> through OpenTelemetry .NET and its Prometheus exporter: Zvonim's own
/// (<see cref="ZvonimMetrics"/>: live calls and sockets, relayed frames and bytes, refusals, rate limiting, admission
/// latency, dead letters, cluster members), ASP.NET Core's and Kestrel's (requests, durations, connections), and the
/// runtime's (GC, heap, thread pool, CPU, working set: the System.Runtime meter of .NET).
/// </summary>
public static class MetricsEndpoints
{
    public static IServiceCollection AddZvonimMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ZvonimMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
                "Microsoft.AspNetCore.Http.Connections")
            // Every scrape sees the counters as they are (the exporter's default caches a scrape for 300 ms; Prometheus
            // scrapes every few seconds, so the cache saves nothing).
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").ExcludeFromDescription();
        var system = app.Services.GetRequiredService<ActorSystem>();
        system.ActorOf(DeadLetterCounter.Props(), "dead-letter-counter");
        if (system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
        {
            var cluster = Cluster.Get(system);
            ZvonimMetrics.Meter.CreateObservableGauge("zvonim.cluster.members",
                () => cluster.State.Members.Count(m => m.Status == MemberStatus.Up), "{node}", "Up members of the cluster, as this node sees them");
        }
        return app;
    }
}
