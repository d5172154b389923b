using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Zvonim.Actors.Kernel;

namespace Zvonim.Tests.TestKit;

/// <summary>Base for actor tests: a fresh system per test, on virtual time, logging into the test output.</summary>
public abstract class ActorTestKit : IAsyncLifetime
{
    protected ActorTestKit(ITestOutputHelper? output = null)
    {
        Time = new ManualTimeProvider();
        Loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new XunitLoggerProvider(output)));
        Sys = ActorSystem.Create("test", Time, Loggers);
    }

    protected ManualTimeProvider Time { get; }

    protected ILoggerFactory Loggers { get; }

    protected ActorSystem Sys { get; }

    private int _probes;

    protected TestProbe CreateTestProbe(string? name = null) => new(Sys, name ?? $"probe-{++_probes}");

    /// <summary>Retries <paramref name="assertion"/> until it passes, for state that settles asynchronously.</summary>
    protected static async Task AwaitAssert(Action assertion, TimeSpan? max = null)
    {
        var deadline = DateTime.UtcNow + (max ?? TestProbe.DefaultTimeout);
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Sys.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        Loggers.Dispose();
    }
}
