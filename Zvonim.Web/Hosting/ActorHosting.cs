using Akka.Actor;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Time;
using Microsoft.Extensions.Options;
using Zvonim.Web.Settings;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace Zvonim.Web.Hosting;

/// <summary>The node's actor system, hosted by Akka.Hosting: HOCON from <c>hocon/</c>, timers on the host's
/// <see cref="TimeProvider"/>, Akka's log through Serilog, and the <see cref="CallManager"/> in the actor registry.</summary>
public static class ActorHosting
{
    public const string SystemName = "zvonim";

    /// <summary>Where the build and publish put the top-level <c>hocon/</c> folder.</summary>
    public static string HoconFile => Path.Combine(AppContext.BaseDirectory, "hocon", "zvonim.hocon");

    public static IServiceCollection AddZvonimActors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAkka(SystemName, (akka, sp) =>
        {
            akka.AddHoconFile(HoconFile, HoconAddMode.Append)
                .AddHocon(TimeProviderScheduler.ConfigFor(sp.GetRequiredService<TimeProvider>()), HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddSerilogLogging();
                    loggers.LogLevel = AkkaLevel(configuration);
                })
                .WithActors((system, registry) =>
                {
                    var maxCalls = sp.GetRequiredService<IOptions<ZvonimOptions>>().Value.Limits.MaxCalls;
                    registry.Register<CallManager>(system.ActorOf(CallManager.Props(maxCalls: maxCalls), CallManager.Name));
                });
        });
        services.AddHostedService<CloseSocketsOnStop>();
        return services;
    }

    /// <summary>Akka filters before Serilog sees anything: give it the level Serilog is asked for, so debug lines cost
    /// nothing unless they are wanted.</summary>
    private static AkkaLogLevel AkkaLevel(IConfiguration configuration)
    {
        var level = configuration["Serilog:MinimumLevel:Default"] ?? configuration["Serilog:MinimumLevel"] ?? "Information";
        return level.ToLowerInvariant() switch
        {
            "verbose" or "debug" => AkkaLogLevel.DebugLevel,
            "warning" => AkkaLogLevel.WarningLevel,
            "error" or "fatal" => AkkaLogLevel.ErrorLevel,
            _ => AkkaLogLevel.InfoLevel,
        };
    }

    /// <summary>
    /// Akka.Hosting runs CoordinatedShutdown when its hosted service stops, which is after Kestrel has waited for open
    /// requests, and every WebSocket is an open request. Starting it as soon as the host is asked to stop makes every
    /// PeerActor close its socket (1001) at once, so the drain ends at once. Running it twice is harmless.
    /// </summary>
    private sealed class CloseSocketsOnStop(ActorSystem system, IHostApplicationLifetime lifetime) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStopping.Register(() => CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
