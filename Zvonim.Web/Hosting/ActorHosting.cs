using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Logger.Serilog;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;
using Zvonim.Actors.Media;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Serialization;
using Zvonim.Actors.Storage;
using Zvonim.Actors.Time;
using Zvonim.Actors.Users;
using Microsoft.Extensions.Options;
using Zvonim.Web.Settings;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace Zvonim.Web.Hosting;

/// <summary>The node's actor system, hosted by Akka.Hosting: HOCON from <c>hocon/</c>, timers on the host's
/// <see cref="TimeProvider"/>, Akka's log through Serilog, and the <see cref="CallManager"/> in the actor registry.</summary>
public static class ActorHosting
{
    /// <summary>Shards of each region in a cluster: ten times the nodes a cluster is expected to have, Akka's advice.</summary>
    public const int ShardsPerRegion = 100;

    public const string SystemName = "zvonim";

    /// <summary>How long a stopping node waits for the call store's last writes: within the phase's own timeout
    /// (<c>before-actor-system-terminate</c>, hocon).</summary>
    private static readonly TimeSpan StoreDrainTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Where the build and publish put the top-level <c>hocon/</c> folder.</summary>
    public static string HoconFile => Path.Combine(AppContext.BaseDirectory, "hocon", "zvonim.hocon");

    /// <summary>What a cluster node adds to <see cref="HoconFile"/>.</summary>
    public static string ClusterHoconFile => Path.Combine(AppContext.BaseDirectory, "hocon", "cluster.hocon");

    public static IServiceCollection AddZvonimActors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAkka(SystemName, (akka, sp) =>
        {
            var options = sp.GetRequiredService<IOptions<ZvonimOptions>>().Value;
            akka.AddHoconFile(HoconFile, HoconAddMode.Append)
                .AddHocon(TimeProviderScheduler.ConfigFor(sp.GetRequiredService<TimeProvider>()), HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddSerilogLogging();
                    loggers.LogLevel = AkkaLevel(configuration);
                })
                .WithCalls(options, sp.GetRequiredService<IHostEnvironment>().ContentRootPath)
                .WithMediaRooms(options, sp.GetRequiredService<ChatCalls.MediaForwarder>().RoomSettings);
        });
        services.AddSingleton<NodeExit>();
        services.AddHostedService<CloseSocketsOnStop>();
        return services;
    }

    /// <summary>One node: a <see cref="CallManager"/> with the calls as its children. A cluster: the calls are sharded
    /// entities (<see cref="CallEntity"/>), and the node's <see cref="ShardedCalls"/> takes the manager's place in the
    /// registry, so endpoints and sockets are the same in both modes.</summary>
    private static AkkaConfigurationBuilder WithCalls(this AkkaConfigurationBuilder akka, ZvonimOptions options, string contentRoot)
    {
        var cluster = options.Cluster;
        if (!cluster.Enabled)
        {
            return akka.WithActors((system, registry) =>
            {
                registry.Register<UserDirectory>(system.ActorOf(UserDirectory.Props(), UserDirectory.Name));
                if (CallDatabase.For(options.Store, contentRoot) is not { } open)
                {
                    registry.Register<CallManager>(system.ActorOf(CallManager.Props(maxCalls: options.Limits.MaxCalls), CallManager.Name));
                    return;
                }
                var restored = SqlCallStore.Open(open);
                var store = system.ActorOf(SqlCallStore.Props(open, options.Store.WriteDelay), CallStore.Name);
                SqlCallStore.DrainBeforeTermination(system, store, StoreDrainTimeout);
                registry.Register<CallManager>(system.ActorOf(CallManager.Props(store, restored, options.Limits.MaxCalls), CallManager.Name));
            });
        }

        return akka.AddHoconFile(ClusterHoconFile, HoconAddMode.Prepend)
            .AddHocon($"zvonim.max-calls = {options.Limits.MaxCalls}", HoconAddMode.Prepend)
            .WithRemoting(new RemoteOptions { HostName = cluster.Hostname, Port = cluster.Port })
            .WithClustering(new ClusterOptions
            {
                SeedNodes = cluster.SeedNodes.Select(seed => ClusterSettings.ParseEndpoint(seed)!.Value)
                    .Select(seed => $"akka.tcp://{SystemName}@{seed.Host}:{seed.Port}").ToArray(),
            })
            .WithCustomSerializer("zvonim", ProtocolSerializer.BoundTypes,
                system => new ProtocolSerializer(system))
            .WithShardRegion<CallEntity>("calls", CallEntity.Props, new CallIdExtractor(maxShards: ShardsPerRegion), new ShardOptions
            {
                StateStoreMode = StateStoreMode.DData,
                RememberEntities = false,
            })
            .WithShardRegion<UserPresence>("users", UserPresence.EntityProps, new UserIdExtractor(maxShards: ShardsPerRegion), new ShardOptions
            {
                StateStoreMode = StateStoreMode.DData,
                RememberEntities = false,
            })
            .WithActors((system, registry) =>
            {
                system.ActorOf(Props.Create<QuarantineGuard>(), QuarantineGuard.Name);
                registry.Register<UserDirectory>(system.ActorOf(ShardedUsers.Props(registry.Get<UserPresence>()), UserDirectory.Name));
                // The records of the calls: in the shared PostgreSQL when there is one, else replicated in memory.
                IActorRef store;
                if (CallDatabase.Postgres(options.Store) is { } database)
                {
                    SqlCallStore.EnsureSchema(database);
                    // Written at once: a call's shard that moves to another node reads its record straight from the database.
                    store = system.ActorOf(SqlCallStore.Props(database), CallStore.Name);
                    SqlCallStore.DrainBeforeTermination(system, store, StoreDrainTimeout);
                }
                else store = system.ActorOf(CallStore.Props(), CallStore.Name);
                var calls = system.ActorOf(ShardedCalls.Props(registry.Get<CallEntity>()), CallManager.Name);
                registry.Register<CallManager>(calls);
                system.ActorOf(RecordSweeper.Props(store, calls, cluster.RecordSweepInterval, RecordSweeper.OldestNode(system)), RecordSweeper.Name);
            });
    }

    /// <summary>Seed 001's call rooms. One node: the node's <see cref="MediaRooms"/>. A cluster: each room is a sharded
    /// entity, so its media lives on one node and a socket on any node reaches it (the region takes the rooms' place).</summary>
    private static AkkaConfigurationBuilder WithMediaRooms(this AkkaConfigurationBuilder akka, ZvonimOptions options, MediaRoomSettings settings)
    {
        if (!options.Cluster.Enabled)
            return akka.WithActors((system, registry) => registry.Register<MediaRooms>(system.ActorOf(MediaRooms.Props(settings), MediaRooms.Name)));

        // Started by hand rather than with WithShardRegion, which takes no allocation strategy: a rebalance must not
        // move a room people are in (LiveShardsStayStrategy). The sharding settings are the hocon's, as for the others; the
        // strategy moves at most 10 shards, or a tenth of them, a round (the limits Akka recommends for its own).
        return akka.WithActors(new ActorStarter(async (system, registry) =>
        {
            var region = await ClusterSharding.Get(system).StartAsync("media-rooms",
                key => MediaRoomActor.Props(key, settings, registry.Get<MediaRoomActor>()),
                ClusterShardingSettings.Create(system), new MediaRoomKeyExtractor(maxShards: ShardsPerRegion),
                new LiveShardsStayStrategy("media-rooms"), PoisonPill.Instance);
            registry.Register<MediaRoomActor>(region);
            registry.Register<MediaRooms>(region);
        }));
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
    private sealed class CloseSocketsOnStop(ActorSystem system, IHostApplicationLifetime lifetime, NodeExit exit, ILogger<NodeExit> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStopping.Register(() =>
            {
                var shutdown = CoordinatedShutdown.Get(system);
                if (exit.Stopping(shutdown.ShutdownReason))
                {
                    log.LogError("This node was removed from the cluster ({Reason}): it stops, and exits with code {Code} so that its service manager starts it again",
                        shutdown.ShutdownReason!.GetType().Name, NodeExit.RemovedFromCluster);
                }
                shutdown.Run(CoordinatedShutdown.ClrExitReason.Instance);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
