using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using Zvonim.Web.Accounts;
using Zvonim.Web.Apiv2;
using Zvonim.Web.ChatCalls;
using Zvonim.Web.Chats;
using Zvonim.Web.Client;
using Zvonim.Web.DirectCalls;
using Zvonim.Web.Errors;
using Zvonim.Web.GroupRooms;
using Zvonim.Web.Health;
using Zvonim.Web.Hosting;
using Zvonim.Web.LinkRooms;
using Zvonim.Web.Settings;
using Zvonim.Web.Telemetry;
using Zvonim.Web.Turn;

SingleCpuTuning.AtStart();
try
{
    // Settings are bound and validated once, at start: a changed appsettings.json takes a restart. Not watching the
    // content root also keeps .NET's file watcher from waking on every write of the SQLite store kept there (2 % of
    // the CPU of a node doing 580 setups/s). A later argument may still turn it back on.
    var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
    builder.AddZvonim();

    var app = builder.Build();
    _ = app.Services.GetRequiredService<IOptions<ZvonimOptions>>().Value; // bad settings stop us here, before hosting starts
    foreach (var unknown in UnknownSettings.Find(app.Configuration))
    {
        app.Logger.LogWarning("Unknown setting {Setting} is ignored{Hint}", unknown,
            UnknownSettings.Suggest(unknown) is { } meant ? $"; did you mean {meant}?" : "");
    }
    app.Logger.LogInformation("{Cpus} CPU(s): thread pool spin limit {SpinLimit}, Kestrel IO queues {IOQueues} (0: socket work on the pool directly), scheduling {Scheduling}",
        Environment.ProcessorCount, SingleCpuTuning.PoolSpinLimit()?.ToString() ?? "unknown",
        app.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>>().Value.IOQueueCount,
        BatchScheduling.Describe());
    var exit = app.Services.GetRequiredService<NodeExit>(); // read after the host is gone, so taken now
    app.UseForwardedHeaders();
    app.UseZvonimRequestLogging();
    app.UseJsonErrors();
    app.UseWebSockets();
    app.UseAuthentication();
    app.UseAuthorization();
    app.MapClient();
    app.MapApiv2();
    app.MapLinkRooms();
    app.MapGroupRooms();
    app.MapAccounts();
    app.MapDirectCalls();
    app.MapChats();
    app.MapChatCalls();
    app.MapTurnConfig();
    app.MapHealth();
    app.MapMetrics();
    app.MapOpenApi(); // /openapi/v1.json
    app.MapScalarApiReference("/docs", scalar => scalar.WithTitle("Zvonim API"));
    app.Run();
    return exit.Code;
}
catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    Console.Error.WriteLine($"zvonim: {ex.Message} Another program (or another Zvonim) listens there: stop it, or give --urls another port.");
    return 2;
}
catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" })
{
    var problems = ex is OptionsValidationException invalid ? string.Join(" ", invalid.Failures) : ex.Message;
    Console.Error.WriteLine($"zvonim: invalid settings: {problems}");
    return 2;
}

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
