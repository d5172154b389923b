using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Serilog;
using Zvonim.Web.Settings;
using Zvonim.Web.Signaling;
using Zvonim.Web.Turn;

namespace Zvonim.Web.Hosting;

public static class ZvonimHosting
{
    public static WebApplicationBuilder AddZvonim(this WebApplicationBuilder builder)
    {
        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration)
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

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

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ActorRuntime>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ActorRuntime>());
        builder.Services.AddSingleton<CallGateway>();
        builder.Services.AddSingleton<WebSocketBridge>();
        builder.Services.AddSingleton<TurnCredentials>();
        return builder;
    }
}
