using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serilog;
using Zvonim.Web.Limits;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;
using Zvonim.Web.Turn;

namespace Zvonim.Web.Hosting;

public static class ZvonimHosting
{
    public static WebApplicationBuilder AddZvonim(this WebApplicationBuilder builder)
    {
        // Serilog.AspNetCore: the host's logger, also assigned to Serilog's static Log.Logger, which is where
        // Akka.Logger.Serilog writes Akka's own log.
        builder.Services.AddSerilog((_, logger) => logger.ReadFrom.Configuration(builder.Configuration));

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

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            if (FileLimit.RaiseToHard() is { } files)
            {
                var (connections, upgraded) = FileLimit.Caps(files);
                kestrel.Limits.MaxConcurrentConnections = connections;
                kestrel.Limits.MaxConcurrentUpgradedConnections = upgraded;
            }
            var perAddress = new AddressCounter(context.Configuration.GetValue<int?>("Zvonim:Limits:MaxConnectionsPerAddress") ?? 1000);
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => ConnectionLimit.Run(perAddress, next, connection)));
        });

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddZvonimActors(builder.Configuration);
        builder.Services.AddSingleton<CallGateway>();
        builder.Services.AddSingleton<WebSocketBridge>();
        builder.Services.AddSingleton<TurnCredentials>();
        builder.Services.AddSingleton<ClientRateLimits>();
        builder.Services.AddSingleton<SocketsPerAddress>();
        return builder;
    }
}
