using Zvonim.Actors.Calls;
using Zvonim.Actors.Kernel;

namespace Zvonim.Web.Hosting;

/// <summary>The node's actor system and its <see cref="CallManager"/>, started and stopped with the host.</summary>
public sealed class ActorRuntime : IHostedService
{
    public ActorRuntime(TimeProvider time, ILoggerFactory loggers)
    {
        System = ActorSystem.Create("zvonim", time, loggers);
        Calls = System.ActorOf(CallManager.Props(), CallManager.Name);
    }

    public ActorSystem System { get; }

    public IActorRef Calls { get; }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stopping the system closes every socket (their actors stop) before the host goes.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => System.Terminate().WaitAsync(cancellationToken);
}
