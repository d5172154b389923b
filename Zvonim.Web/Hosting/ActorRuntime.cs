using Zvonim.Actors.Calls;
using Zvonim.Actors.Kernel;

namespace Zvonim.Web.Hosting;

/// <summary>The node's actor system and its <see cref="CallManager"/>, started and stopped with the host.</summary>
public sealed class ActorRuntime : IHostedService
{
    private readonly IHostApplicationLifetime _lifetime;

    public ActorRuntime(TimeProvider time, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        _lifetime = lifetime;
        System = ActorSystem.Create("zvonim", time, loggers);
        Calls = System.ActorOf(CallManager.Props(), CallManager.Name);
    }

    public ActorSystem System { get; }

    public IActorRef Calls { get; }

    /// <summary>Stopping starts as soon as the host is asked to stop: the sockets' actors close them (1001), so the
    /// server's drain of open requests finishes at once instead of waiting out its timeout.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _lifetime.ApplicationStopping.Register(() => System.Terminate());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => System.Terminate().WaitAsync(cancellationToken);
}
