using Zvonim.Bench.Cli;

namespace Zvonim.Bench;

/// <summary>Entry point of <c>zvonim-bench</c> (no top-level statements: Zvonim.Web already owns the global <c>Program</c>).</summary>
public static class BenchProgram
{
    public static Task<int> Main(string[] args) => BenchCli.RunAsync(args);
}
