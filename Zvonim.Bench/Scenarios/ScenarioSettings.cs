namespace Zvonim.Bench.Scenarios;

/// <summary>What every scenario is told: how long, how many, and where progress goes.</summary>
public sealed record ScenarioSettings
{
    /// <summary>Measured time of a run (or of each relay phase).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unmeasured time before it.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Calls: concurrent setups (setup), calls carrying traffic (relay), calls held (idle).</summary>
    public int Calls { get; init; } = 16;

    /// <summary>Relay closed loop: messages in flight per direction of each call.</summary>
    public int Window { get; init; } = 8;

    /// <summary>Relay open loop: messages per second over all calls and both directions.</summary>
    public int Rate { get; init; } = 30_000;

    /// <summary>Relay: "closed", "open" or "both".</summary>
    public string Mode { get; init; } = "both";

    /// <summary>Calls connected at once while a scenario sets up.</summary>
    public int ConnectParallelism { get; init; } = 64;

    /// <summary>Idle: seconds between server memory samples.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Source addresses 127.0.0.2… the generator's sockets are spread over (0: the default source).</summary>
    public int SourceAddresses { get; init; } = 8;

    /// <summary>Cluster runs: the node each call's second socket connects to (null: the same server as the first).</summary>
    public Uri? PeerUrl { get; init; }

    /// <summary>Progress lines; null for none.</summary>
    public TextWriter? Progress { get; init; }
}
