using System.Globalization;
using System.Text;

namespace Zvonim.Bench.Results;

/// <summary>The plain-text results table printed at the end of a run.</summary>
public static class ResultTable
{
    public static string Render(BenchReport report)
    {
        var text = new StringBuilder();
        report.LoadAverageAtEnd ??= Stats.ProcessCpu.LoadAverage();
        if (report.LoadAverageAtStart is not null)
            text.AppendLine($"load average at start {report.LoadAverageAtStart}, at end {report.LoadAverageAtEnd} ({report.Machine.Cores} cores)").AppendLine();
        var flat = report.Runs.Where(r => !Targets.Contains(r.Target)).ToList();
        if (flat.Count > 0) RenderFlat(flat, text);
        foreach (var scenario in report.Runs.Where(r => Targets.Contains(r.Target)).Select(r => r.Scenario).Distinct())
        {
            var runs = report.Runs.Where(r => r.Scenario == scenario).ToList();
            // A column per target that ran, then Zvonim as a ratio of each other one.
            var columns = Targets.Select(t => runs.FirstOrDefault(r => r.Target == t)).OfType<RunResult>().ToList();
            var zvonim = columns.FirstOrDefault(r => r.Target == "zvonim");
            var baselines = zvonim is null ? [] : columns.Where(r => r != zvonim).ToList();
            var metrics = runs.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
            string[] header = [scenario, "unit", .. columns.Select(r => r.Target), .. baselines.Select(b => $"zvonim/{b.Target}")];
            var rows = new List<string[]> { header };
            foreach (var metric in metrics)
            {
                var unit = runs.Select(r => r.Units.GetValueOrDefault(metric)).FirstOrDefault(u => u is not null) ?? "";
                var values = columns.Select(r => r.Metrics.TryGetValue(metric, out var v) ? v : (double?)null).ToList();
                double? z = zvonim?.Metrics.TryGetValue(metric, out var zv) == true ? zv : null;
                var ratios = baselines.Select(b => z is { } zz && b.Metrics.TryGetValue(metric, out var bb) && bb != 0
                    ? (zz / bb).ToString("0.00", CultureInfo.InvariantCulture) : "");
                rows.Add([metric, unit, .. values.Select(Format), .. ratios]);
            }
            rows.Add(["integrity", "", .. columns.Select(Integrity), .. baselines.Select(_ => "")]);
            var width = rows[0].Length;
            var widths = Enumerable.Range(0, width).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (var (row, i) in rows.Select((r, i) => (r, i)))
            {
                text.Append(row[0].PadRight(widths[0])).Append("  ").Append(row[1].PadRight(widths[1]));
                for (var c = 2; c < width; c++) text.Append("  ").Append(row[c].PadLeft(widths[c]));
                text.AppendLine();
                if (i == 0) text.AppendLine(new string('-', widths.Sum() + 2 * (width - 1)));
            }
            foreach (var run in runs)
            {
                foreach (var failure in run.Integrity.FailureSamples.Take(3)) text.AppendLine($"  {run.Target}: {failure}");
                if (run.Note is not null) text.AppendLine($"  {run.Target}: {run.Note}");
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>The servers a scenario runs against, in column order; other runs (micro-benchmarks) are flat rows.</summary>
    private static readonly string[] Targets = ["zvonim", "versus", "bare", "floor", "peerjs"];

    /// <summary>One row per run (micro-benchmarks): name, then each figure.</summary>
    private static void RenderFlat(List<RunResult> runs, StringBuilder text)
    {
        var metrics = runs.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var header = new[] { "benchmark" }.Concat(metrics.Select(m => $"{m} ({runs.Select(r => r.Units.GetValueOrDefault(m)).First(u => u is not null)})")).ToArray();
        var rows = new List<string[]> { header };
        rows.AddRange(runs.Select(r => new[] { r.Scenario }.Concat(metrics.Select(m => Format(r.Metrics.TryGetValue(m, out var v) ? v : null))).ToArray()));
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            text.Append(row[0].PadRight(widths[0]));
            for (var c = 1; c < row.Length; c++) text.Append("  ").Append(row[c].PadLeft(widths[c]));
            text.AppendLine();
            if (i == 0) text.AppendLine(new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        }
        text.AppendLine();
    }

    private static string Format(double? value) => value switch
    {
        null => "-",
        { } v when Math.Abs(v) >= 1000 => v.ToString("N0", CultureInfo.InvariantCulture),
        { } v when Math.Abs(v) >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string Integrity(RunResult? run) => run is null ? "-"
        : run.Integrity.Clean ? "ok"
        : $"lost {run.Integrity.Lost}, reord {run.Integrity.Reordered}, dup {run.Integrity.Duplicated}, corrupt {run.Integrity.Corrupted}, err {run.Integrity.ServerErrors}, closes {run.Integrity.UnexpectedCloses}, fail {run.Integrity.Failures}";
}
