using Akka.Configuration;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using Zvonim.Actors.Time;
using Zvonim.Web.Hosting;

namespace Zvonim.Tests.TestKit;

/// <summary>
/// Akka.TestKit with the server's own HOCON and one fake clock: every actor timer (deadlines, receive timeouts,
/// retention) runs on <see cref="Time"/>, so TTLs and grace periods are tested by advancing it, never by sleeping.
/// </summary>
public abstract class VirtualTimeTestKit : Akka.TestKit.Xunit2.TestKit
{
    protected VirtualTimeTestKit(ITestOutputHelper? output = null) : this(Config.Empty, Clocks.Fake(), output)
    {
    }

    /// <param name="config">Settings of this test's own, over the server's.</param>
    protected VirtualTimeTestKit(Config config, ITestOutputHelper? output = null) : this(config, Clocks.Fake(), output)
    {
    }

    private VirtualTimeTestKit(Config config, FakeTimeProvider time, ITestOutputHelper? output)
        : base(config.WithFallback(ConfigFor(time)), "test", output)
    {
        Time = time;
    }

    protected FakeTimeProvider Time { get; }

    private static Config ConfigFor(TimeProvider time) =>
        TimeProviderScheduler.ConfigFor(time)
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(ActorHosting.HoconFile)));
}

/// <summary>Fake clocks for tests, all starting at the same date.</summary>
public static class Clocks
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Fake(DateTimeOffset? start = null) => new(start ?? Start);
}
