using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Zvonim.Actors.Calls;

namespace Zvonim.Web.Health;

/// <summary>
/// <c>GET /healthz</c>: the process is alive (for a restart policy). <c>GET /readyz</c>: it should get traffic (for a
/// load balancer or Kubernetes): its calls answer, it is an Up member of the cluster in cluster mode, and it is not
/// shutting down. 200 with <c>{"status": ...}</c>, or 503 with <c>{"error": "not_ready", "message": ...}</c>.
/// </summary>
public static class HealthEndpoints
{
    private const string Ready = "ready";
    private const string MembersUp = "members_up";

    public static IServiceCollection AddZvonimHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ReadinessCheck>("calls", tags: [Ready]);
        return services;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Ready),
            ResponseWriter = WriteAsync,
        }).ExcludeFromDescription();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var body = report.Status == HealthStatus.Healthy
            ? new Dictionary<string, object> { ["status"] = context.Request.Path == "/healthz" ? "alive" : Ready }
            : new Dictionary<string, object>
            {
                ["error"] = "not_ready",
                ["message"] = string.Join(" ", report.Entries.Values.Select(e => e.Description).OfType<string>()),
            };
        // In a cluster: how many members this node sees up, so a deployment can wait for every node to see all the others.
        foreach (var entry in report.Entries.Values)
            if (entry.Data.TryGetValue(MembersUp, out var up)) body[MembersUp] = up;
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private sealed class ReadinessCheck(ActorSystem system, IRequiredActor<CallManager> calls, IHostApplicationLifetime lifetime) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested || CoordinatedShutdown.Get(system).ShutdownReason is not null)
                return HealthCheckResult.Unhealthy("The node is shutting down.");
            if (system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal)
                && Cluster.Get(system).SelfMember.Status != MemberStatus.Up)
                return HealthCheckResult.Unhealthy($"The node is not an Up member of the cluster yet ({Cluster.Get(system).SelfMember.Status}).");
            try
            {
                await calls.ActorRef.Ask<CallCount>(new GetCallCount(), TimeSpan.FromSeconds(2), cancellationToken);
                if (!system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal)) return HealthCheckResult.Healthy();
                var state = Cluster.Get(system).State;
                var up = state.Members.Count(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m));
                return HealthCheckResult.Healthy(data: new Dictionary<string, object> { [MembersUp] = up });
            }
            catch (AskTimeoutException)
            {
                return HealthCheckResult.Unhealthy("The node's calls did not answer within 2 s.");
            }
        }
    }
}
