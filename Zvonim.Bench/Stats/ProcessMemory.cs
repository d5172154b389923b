using System.Globalization;

namespace Zvonim.Bench.Stats;

/// <summary>A process's own memory figures, read from /proc/&lt;pid&gt;/status (Linux).</summary>
public sealed record MemorySample(double AtSeconds, long RssKb, long RssAnonKb, int Threads, int OpenFiles);

public static class ProcessMemory
{
    public static bool Supported => OperatingSystem.IsLinux();

    public static MemorySample? Read(int pid, double atSeconds)
    {
        if (!Supported) return null;
        try
        {
            long rss = 0, anon = 0;
            int threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kb(line);
                else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = (int)Kb(line);
            }
            var files = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
            return new MemorySample(Math.Round(atSeconds, 2), rss, anon, threads, files);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the process is gone
        }
    }

    private static long Kb(string line)
    {
        var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 1 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }
}
