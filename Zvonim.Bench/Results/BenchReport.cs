using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Zvonim.Bench.Stats;

namespace Zvonim.Bench.Results;

/// <summary>Whether every message arrived, once, in order, and nothing failed.</summary>
public sealed class Integrity
{
    public long Sent { get; set; }
    public long Received { get; set; }
    public long Lost { get; set; }
    public long Reordered { get; set; }
    public long Duplicated { get; set; }
    public long Corrupted { get; set; }
    public long ServerErrors { get; set; }
    public long UnexpectedCloses { get; set; }
    public long Failures { get; set; }

    /// <summary>A few failure messages, for the reader.</summary>
    public List<string> FailureSamples { get; set; } = [];

    [JsonIgnore]
    public bool Clean => Lost == 0 && Reordered == 0 && Duplicated == 0 && Corrupted == 0 && ServerErrors == 0 && UnexpectedCloses == 0 && Failures == 0;

    public void AddFailure(string message)
    {
        lock (FailureSamples) Failures++;
        Sample(message);
    }

    /// <summary>Keeps <paramref name="message"/> as an example (the first ten are kept).</summary>
    public void Sample(string message)
    {
        lock (FailureSamples)
        {
            if (FailureSamples.Count < 10) FailureSamples.Add(message);
        }
    }
}

/// <summary>One scenario (or phase) run against one target.</summary>
public sealed class RunResult(string scenario, string target)
{
    public string Scenario { get; } = scenario;

    /// <summary>"zvonim", "bare" or "peerjs".</summary>
    public string Target { get; } = target;

    /// <summary>Figures in insertion order; <see cref="Units"/> says what each is in.</summary>
    public Dictionary<string, double> Metrics { get; } = [];

    public Dictionary<string, string> Units { get; } = [];

    public Integrity Integrity { get; } = new();

    /// <summary>Server memory over time (idle).</summary>
    public List<MemorySample>? MemorySamples { get; set; }

    public string? Note { get; set; }

    public RunResult Add(string name, double value, string unit)
    {
        Metrics[name] = double.IsFinite(value) ? Math.Round(value, 3) : 0;
        Units[name] = unit;
        return this;
    }
}

/// <summary>Zvonim's figure as a share of another target's (<paramref name="Against"/>: the bare relay or the PeerJS
/// server), for each figure both runs have.</summary>
public sealed record Comparison(string Scenario, string Metric, string Against, double Zvonim, double Baseline, double Ratio);

/// <summary>The whole output of one invocation; also what --json writes.</summary>
public sealed class BenchReport
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Tool { get; set; } = "zvonim-bench";
    public string Command { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; } = DateTimeOffset.UtcNow;
    public MachineInfo Machine { get; set; } = MachineInfo.Current();
    public Dictionary<string, object?> Parameters { get; set; } = [];
    public List<RunResult> Runs { get; set; } = [];
    public List<Comparison> Comparisons { get; set; } = [];

    /// <summary>Load average when the run started and ended: other work on the machine skews every figure.</summary>
    public string? LoadAverageAtStart { get; set; } = ProcessCpu.LoadAverage();

    public string? LoadAverageAtEnd { get; set; }

    /// <summary>True when no run lost, reordered, duplicated or corrupted anything, and nothing failed.</summary>
    public bool Clean => Runs.All(r => r.Integrity.Clean);

    public void Compare()
    {
        Comparisons.Clear();
        foreach (var zvonim in Runs.Where(r => r.Target == "zvonim"))
        {
            foreach (var other in Runs.Where(r => r.Target != "zvonim" && r.Scenario == zvonim.Scenario))
            {
                foreach (var (metric, value) in zvonim.Metrics)
                {
                    if (other.Metrics.TryGetValue(metric, out var baseline) && baseline != 0)
                        Comparisons.Add(new Comparison(zvonim.Scenario, metric, other.Target, value, baseline, Math.Round(value / baseline, 3)));
                }
            }
        }
    }

    public async Task WriteJsonAsync(string path)
    {
        LoadAverageAtEnd ??= ProcessCpu.LoadAverage();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, this, Json).ConfigureAwait(false);
    }
}

public sealed record MachineInfo(string Os, string Runtime, int Cores, string Architecture, long MemoryMb, string? Cpu)
{
    public static MachineInfo Current() => new(
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        Environment.ProcessorCount,
        RuntimeInformation.OSArchitecture.ToString(),
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024),
        CpuModel());

    private static string? CpuModel()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
