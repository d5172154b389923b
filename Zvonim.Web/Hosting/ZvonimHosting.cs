using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serilog;
using Zvonim.Web.Accounts;
using Zvonim.Web.Health;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;
using Zvonim.Web.Stun;
using Zvonim.Web.Telemetry;
using Zvonim.Web.Turn;

namespace Zvonim.Web.Hosting;

public static class ZvonimHosting
{
    public static WebApplicationBuilder AddZvonim(this WebApplicationBuilder builder)
    {
        // Serilog.AspNetCore: the host's logger, also assigned to Serilog's static Log.Logger, which is where
        // Akka.Logger.Serilog writes Akka's own log.
        // ASP.NET Core's hosting diagnostics stay off whatever the configuration says. Its "Request starting" line carries
        // the query string, where a browser's socket sends its access token; and while its category is on at any level,
        // every request opens a log scope (its path and id) and starts an Activity, which nothing here reads. Zvonim's
        // request log (route templates only) replaces it; a failed start still ends the process with its exception on
        // stderr.
        builder.Services.AddSerilog((_, logger) => logger.ReadFrom.Configuration(builder.Configuration)
            .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", Serilog.Events.LevelAlias.Off));

        builder.Services.AddOptions<ZvonimOptions>()
            .Bind(builder.Configuration.GetSection(ZvonimOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ZvonimOptions>, ZvonimOptionsValidator>();

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });

        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(SingleCpuTuning.Configure);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            if (FileLimit.RaiseToHard() is { } files)
            {
                var (connections, upgraded) = FileLimit.Caps(files);
                kestrel.Limits.MaxConcurrentConnections = connections;
                kestrel.Limits.MaxConcurrentUpgradedConnections = upgraded;
            }
            var perAddress = new AddressCounter(context.Configuration.GetValue<int?>("Zvonim:Limits:MaxConnectionsPerAddress") ?? 1000);
            // A trusted proxy's connections carry many clients: they are not counted as one client's.
            var proxies = ProxyOptions.Parse(context.Configuration["Zvonim:Proxy:TrustedProxies"] ?? new ProxyOptions().TrustedProxies) ?? [];
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => ConnectionLimit.Run(perAddress, proxies, next, connection)));
        });

        // Behind a trusted proxy, the client's address, scheme and host are the ones it forwards (UseForwardedHeaders
        // first in the pipeline); from anyone else those headers are ignored.
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ZvonimOptions>>((forwarded, zvonim) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            forwarded.ForwardLimit = null; // as many trusted proxies in a row as there are; it stops at the first untrusted
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in ProxyOptions.Parse(zvonim.Value.Proxy.TrustedProxies) ?? []) forwarded.KnownIPNetworks.Add(network);
        });

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddZvonimActors(builder.Configuration);
        builder.Services.AddSingleton<CallGateway>();
        builder.Services.AddSingleton<WebSocketBridge>();
        builder.Services.AddSingleton<TurnCredentials>();
        builder.Services.AddSingleton<ClientRateLimits>();
        builder.Services.AddSingleton<SocketsPerAddress>();
        builder.Services.AddZvonimHealth();
        builder.Services.AddZvonimMetrics();
        builder.Services.AddZvonimAccounts();
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Zvonim";
            document.Info.Description = "A self-hosted WebRTC call service: three signalling dialects (two-party calls, rooms by " +
                "link, group rooms) over one core. Every error is a JSON body {\"error\": code, \"message\": text}.";
            return Task.CompletedTask;
        }));
        builder.Services.AddSingleton<StunResponder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StunResponder>());
        return builder;
    }
}
