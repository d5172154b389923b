using System.CommandLine;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Zvonim.Bench.Bare;
using Zvonim.Bench.Load;
using Zvonim.Bench.Micro;
using Zvonim.Bench.Results;
using Zvonim.Bench.Scenarios;
using Zvonim.Bench.Servers;
using Zvonim.Bench.Stats;
using Zvonim.Bench.Sfu;

namespace Zvonim.Bench.Cli;

/// <summary>
/// <c>zvonim-bench setup|relay|idle|sfu|micro</c>. Exit codes: 0 done and every message accounted for; 3 some message
/// was lost, reordered, duplicated or changed, or a step failed; 2 the run could not be made (bad options, no server).
/// </summary>
public static class BenchCli
{
    public const int IntegrityFailed = 3;
    public const int CannotRun = 2;

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken ct = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = Build(args, output, error);
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
    }

    private sealed record Common(
        Option<string> Target, Option<string?> Url, Option<string?> BareUrl, Option<bool> Spawn, Option<string?> ServerDll,
        Option<int?> ServerPid, Option<int?> BarePid, Option<string[]> ServerEnv, Option<string?> Json, Option<double> Duration, Option<double> Warmup,
        Option<int> Calls, Option<int> ConnectParallel, Option<int> SourceAddresses, Option<bool> Quiet, Option<bool> BareBuffered,
        Option<string?> PeerUrl, Option<bool> Pin, Option<string?> PeerJsDir);

    /// <summary>setup --versus: another build (or settings) measured in turns with this one.</summary>
    /// <param name="Slice">Seconds of a turn; null when not given.</param>
    private sealed record Versus(string? Dll, string[] Environment, double? Slice)
    {
        public const double DefaultSlice = 5;

        public TimeSpan Turn => TimeSpan.FromSeconds(Slice ?? DefaultSlice);

        /// <summary>What is wrong with these options, or null.</summary>
        public string? Problem(bool spawn, string[] targets, ScenarioSettings settings)
        {
            if (Dll is null)
                return Environment.Length > 0 || Slice is not null ? "--versus-env and --slice are for the server --versus starts: name its Zvonim.Web.dll with --versus." : null;
            if (Dll.Length == 0 || !File.Exists(Dll)) return $"--versus: no file '{Dll}'.";
            if (!spawn || targets is not ["zvonim"] || settings.PeerUrl is not null) return "--versus needs --spawn and --target zvonim, on one node.";
            if (Slice is <= 0 or double.NaN) return "--slice: a number of seconds above 0.";
            if (settings.Duration < 2 * Turn) return $"--duration must hold a turn of each server: at least {2 * Turn.TotalSeconds:0.##} s with --slice {Turn.TotalSeconds:0.##}.";
            return null;
        }
    }

    private static RootCommand Build(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand(
            "zvonim-bench: drives a Zvonim server (and a bare Kestrel WebSocket relay, the baseline) over real HTTP and " +
            "WebSockets on loopback, checks every message for loss and order, and reports the figures as a table and JSON.");

        // setup
        var setup = new Command("setup", "Full call setups (create, join, both sockets, offer, answer, 4 ICE candidates each way): setups/s and setup time.");
        var setupCommon = AddCommon(setup, calls: 32, duration: 20, warmup: 5);
        var versus = new Option<string?>("--versus")
        {
            Description = "Another build's Zvonim.Web.dll, spawned beside this one (on the same core with --pin): the load goes to one at a time, " +
                "swapped every --slice seconds, so that both are measured in the same minutes (column \"versus\"). --duration is both turns together.",
        };
        var versusEnv = new Option<string[]>("--versus-env")
        {
            Description = "KEY=VALUE settings for the --versus server only, after --server-env (repeatable): with --versus naming this same build, " +
                "a setting measured against the build without it.",
        };
        var slice = new Option<double?>("--slice") { Description = $"--versus: seconds of each turn (default {Versus.DefaultSlice}); the warm-up and --duration are rounded to an even number of turns." };
        setup.Add(versus);
        setup.Add(versusEnv);
        setup.Add(slice);
        setup.SetAction((parse, ct) => RunScenarioAsync("setup", args, parse, setupCommon, output, error,
            settings => settings, (server, settings, token) => SetupScenario.RunAsync(server, settings, token).ContinueWith(t => new List<RunResult> { t.Result }, token), ct,
            new Versus(parse.GetValue(versus), parse.GetValue(versusEnv) ?? [], parse.GetValue(slice))));
        root.Add(setup);

        // relay
        var relay = new Command("relay", "P calls relaying ICE-sized messages both ways: closed loop (peak msg/s with W in flight) and open loop (latency at a fixed rate).");
        var relayCommon = AddCommon(relay, calls: 50, duration: 20, warmup: 10);
        var window = new Option<int>("--window", "-w") { Description = "Closed loop: messages in flight per direction of each call.", DefaultValueFactory = _ => 8 };
        var rate = new Option<int>("--rate", "-r") { Description = "Open loop: messages per second over all calls and directions.", DefaultValueFactory = _ => 30_000 };
        var mode = new Option<string>("--mode") { Description = "closed, open or both.", DefaultValueFactory = _ => "both" };
        mode.AcceptOnlyFromAmong("closed", "open", "both");
        relay.Add(window);
        relay.Add(rate);
        relay.Add(mode);
        relay.SetAction((parse, ct) => RunScenarioAsync("relay", args, parse, relayCommon, output, error,
            settings => settings with { Window = parse.GetValue(window), Rate = parse.GetValue(rate), Mode = parse.GetValue(mode)! },
            RelayScenario.RunAsync, ct));
        root.Add(relay);

        // idle
        var idle = new Command("idle", "Hold C calls (2C sockets) connected and idle: the server's memory per socket and that it stays flat.");
        var idleCommon = AddCommon(idle, calls: 1000, duration: 30, warmup: 0);
        var interval = new Option<double>("--sample-interval") { Description = "Seconds between server memory samples.", DefaultValueFactory = _ => 1 };
        idle.Add(interval);
        idle.SetAction((parse, ct) => RunScenarioAsync("idle", args, parse, idleCommon, output, error,
            settings => settings with { SampleInterval = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(interval))) },
            (server, settings, token) => IdleScenario.RunAsync(server, settings, token).ContinueWith(t => new List<RunResult> { t.Result }, token), ct));
        root.Add(idle);

        // sfu
        var sfu = new Command("sfu", "Zvonim's media forwarder in this process: 1 publisher, N subscribers, SRTP over UDP on loopback (ICE, DTLS, " +
            "SRTP by our own load peers): packets forwarded per second and per core of its packet thread, latency against a loopback baseline, loss.");
        var subscribers = new Option<int>("--subscribers", "-n") { Description = "Subscribers of the one published track.", DefaultValueFactory = _ => 10 };
        var sfuRate = new Option<int>("--rate", "-r") { Description = "Packets per second the publisher offers (open loop); 0: as fast as it can (max mode).", DefaultValueFactory = _ => 20_000 };
        var sfuDuration = new Option<double>("--duration", "-d") { Description = "Measured seconds.", DefaultValueFactory = _ => 10 };
        var sfuWarmup = new Option<double>("--warmup") { Description = "Unmeasured seconds before.", DefaultValueFactory = _ => 2 };
        var baseline = new Option<double>("--baseline") { Description = "Measured seconds of the loopback baseline without the forwarder (0: none).", DefaultValueFactory = _ => 3 };
        var codec = new Option<string>("--codec") { Description = "vp8 (1000–1200-byte payloads) or opus (100 bytes).", DefaultValueFactory = _ => "vp8" };
        codec.AcceptOnlyFromAmong("vp8", "opus");
        var srtp = new Option<string>("--srtp") { Description = "gcm: offer AEAD_AES_128_GCM then AES128_CM_HMAC_SHA1_80 (as Chromium); cm: only the latter.", DefaultValueFactory = _ => "gcm" };
        srtp.AcceptOnlyFromAmong("gcm", "cm");
        var sfuQuick = new Option<bool>("--quick") { Description = "A short run: 2 s measured after 0.5 s, baseline 1 s." };
        var sfuJson = new Option<string?>("--json", "-j") { Description = "Also write the results as JSON to this file." };
        var sfuQuiet = new Option<bool>("--quiet", "-q") { Description = "No progress lines." };
        var sfuPin = new Option<bool>("--pin") { Description = $"The forwarder's packet thread alone on core {CorePinning.ServerCore}, every other thread of this process (the load peers) on core {CorePinning.GeneratorCore} (Linux)." };
        var sfuFloor = new Option<bool>("--floor") { Description = "Also pass the same load through a thread that only forwards datagrams as they came (recvmmsg, sendmmsg; no ICE, SRTP or RTP work): the kernel's share, and the forwarder's rate per core as a ratio of it." };
        foreach (var option in new Option[] { subscribers, sfuRate, sfuDuration, sfuWarmup, baseline, codec, srtp, sfuQuick, sfuJson, sfuQuiet, sfuPin, sfuFloor })
            sfu.Add(option);
        sfu.SetAction(async (parse, ct) =>
        {
            var quickRun = parse.GetValue(sfuQuick);
            var settings = new SfuSettings
            {
                Subscribers = Math.Max(1, parse.GetValue(subscribers)),
                Rate = Math.Max(0, parse.GetValue(sfuRate)),
                Duration = TimeSpan.FromSeconds(quickRun ? 2 : Math.Max(0.1, parse.GetValue(sfuDuration))),
                Warmup = TimeSpan.FromSeconds(quickRun ? 0.5 : Math.Max(0, parse.GetValue(sfuWarmup))),
                Baseline = TimeSpan.FromSeconds(quickRun ? 1 : Math.Max(0, parse.GetValue(baseline))),
                Codec = parse.GetValue(codec)!,
                Srtp = parse.GetValue(srtp)!,
                Pin = parse.GetValue(sfuPin),
                Floor = parse.GetValue(sfuFloor),
                Progress = parse.GetValue(sfuQuiet) ? null : error,
            };
            var report = new BenchReport { Command = "zvonim-bench " + string.Join(' ', args) };
            report.Parameters["scenario"] = "sfu";
            report.Parameters["subscribers"] = settings.Subscribers;
            report.Parameters["rate"] = settings.Rate;
            report.Parameters["duration_s"] = settings.Duration.TotalSeconds;
            report.Parameters["warmup_s"] = settings.Warmup.TotalSeconds;
            report.Parameters["baseline_s"] = settings.Baseline.TotalSeconds;
            report.Parameters["codec"] = settings.Codec;
            report.Parameters["srtp"] = settings.Srtp;
            report.Parameters["pinned"] = settings.Pin;
            report.Parameters["floor"] = settings.Floor;
            try
            {
                report.Runs.AddRange(await SfuScenario.RunAsync(settings, ct).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is TimeoutException or BenchFailure or InvalidOperationException or System.Net.Sockets.SocketException
                                           or Org.BouncyCastle.Tls.TlsException or IOException)
            {
                await error.WriteLineAsync($"zvonim-bench: {ex.Message}").ConfigureAwait(false);
                return CannotRun;
            }
            report.Compare();
            await output.WriteAsync(ResultTable.Render(report)).ConfigureAwait(false);
            if (parse.GetValue(sfuJson) is { } path)
            {
                await report.WriteJsonAsync(path).ConfigureAwait(false);
                await error.WriteLineAsync($"results written to {Path.GetFullPath(path)}").ConfigureAwait(false);
            }
            if (!report.Clean) await error.WriteLineAsync("zvonim-bench: some packets were lost, reordered, duplicated or corrupted, or steps failed (see the integrity line).").ConfigureAwait(false);
            return report.Clean ? 0 : IntegrityFailed;
        });
        root.Add(sfu);

        // micro
        var micro = new Command("micro", "BenchmarkDotNet micro-benchmarks of the hot path (frame → route → write) with allocations per relayed message.");
        var quick = new Option<bool>("--quick") { Description = "Plain timed loops instead of BenchmarkDotNet (seconds, not minutes)." };
        var messages = new Option<int>("--messages") { Description = "--quick: messages per path.", DefaultValueFactory = _ => 200_000 };
        var setups = new Option<int>("--setups") { Description = "--quick: in-process call setups (0: skip; default messages / 100).", DefaultValueFactory = _ => -1 };
        var job = new Option<string>("--job") { Description = "BenchmarkDotNet job: dry, short or medium.", DefaultValueFactory = _ => "short" };
        job.AcceptOnlyFromAmong("dry", "short", "medium");
        var filter = new Option<string[]>("--filter") { Description = "BenchmarkDotNet glob filters on benchmark names, e.g. *Relay*." };
        var microJson = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var allocations = new Option<bool>("--allocations") { Description = "--quick: also print what the measured setups allocated, by type (the runtime's samples, one per ~100 KB)." };
        micro.Add(quick);
        micro.Add(allocations);
        micro.Add(messages);
        micro.Add(setups);
        micro.Add(job);
        micro.Add(filter);
        micro.Add(microJson);
        micro.SetAction(async (parse, ct) =>
        {
            var report = new BenchReport { Command = "zvonim-bench " + string.Join(' ', args) };
            report.Parameters["quick"] = parse.GetValue(quick);
            if (parse.GetValue(quick))
            {
                var count = Math.Max(10, parse.GetValue(messages));
                report.Runs.AddRange(await QuickMicro.RunAsync(count, error).ConfigureAwait(false));
                var setupCount = parse.GetValue(setups) is >= 0 and var n ? n : Math.Max(100, count / 100);
                if (setupCount > 0) report.Runs.Add(await SetupPath.RunAsync(setupCount, workers: 32, error, parse.GetValue(allocations)).ConfigureAwait(false));
            }
            else
                report.Runs.AddRange(RunBenchmarkDotNet(parse.GetValue(job)!, parse.GetValue(filter) ?? []));
            await output.WriteAsync(ResultTable.Render(report)).ConfigureAwait(false);
            if (parse.GetValue(microJson) is { } path) await report.WriteJsonAsync(path).ConfigureAwait(false);
            return 0;
        });
        root.Add(micro);

        // allocations: what a running server allocates, by type (run beside a setup or relay bench; divide by its rate)
        var allocationsCommand = new Command("allocations", "What a running .NET server allocates over a window, by type (the runtime's allocation samples through its diagnostics port).");
        var pid = new Option<int>("--pid") { Description = "The server's process id.", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "Length of the window.", DefaultValueFactory = _ => 10 };
        var top = new Option<int>("--top") { Description = "Types to list.", DefaultValueFactory = _ => 30 };
        allocationsCommand.Add(pid);
        allocationsCommand.Add(seconds);
        allocationsCommand.Add(top);
        allocationsCommand.SetAction(async (parse, ct) =>
        {
            AllocationProbe.Window window;
            try
            {
                window = AllocationProbe.Sample(parse.GetValue(pid), TimeSpan.FromSeconds(parse.GetValue(seconds)));
            }
            catch (Microsoft.Diagnostics.NETCore.Client.ServerNotAvailableException)
            {
                await error.WriteLineAsync($"zvonim-bench: no .NET process with a diagnostics port has pid {parse.GetValue(pid)}.").ConfigureAwait(false);
                return 2;
            }
            var perSecond = window.SampledBytes / window.Length.TotalSeconds;
            await output.WriteLineAsync($"{perSecond / 1e6:N1} MB/s sampled; GCs in the window: gen0 {window.Gen0}, gen1 {window.Gen1}, gen2 {window.Gen2}").ConfigureAwait(false);
            foreach (var (type, bytes) in window.ByType.Take(parse.GetValue(top)))
                await output.WriteLineAsync($"{bytes / window.Length.TotalSeconds / 1e3,12:N1} KB/s  {100.0 * bytes / window.SampledBytes,5:N1} %  {type}").ConfigureAwait(false);
            return 0;
        });
        root.Add(allocationsCommand);

        // serve-bare: the baseline in its own process (what --spawn starts)
        var serveBare = new Command("serve-bare", "Run the bare relay on 127.0.0.1 until stopped.") { Hidden = true };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var serveBuffered = new Option<bool>("--buffered") { Description = "A 4 KB receive buffer per socket for its whole life." };
        serveBare.Add(port);
        serveBare.Add(serveBuffered);
        serveBare.SetAction(async (parse, ct) =>
        {
            await using var bare = await BareRelay.StartAsync(parse.GetValue(port), parse.GetValue(serveBuffered), ct).ConfigureAwait(false);
            await output.WriteLineAsync($"bare relay listening on {bare.Url}").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        });
        root.Add(serveBare);
        return root;
    }

    private static Common AddCommon(Command command, int calls, double duration, double warmup)
    {
        var common = new Common(
            new Option<string>("--target", "-t")
            {
                Description = "zvonim, bare, peerjs (the PeerJS server, npm peer under node; relay only), a comma list of them, both (zvonim,bare) " +
                    "or all (zvonim,bare,peerjs). Zvonim's figures are given as ratios of each other target's.",
                DefaultValueFactory = _ => "both",
            },
            new Option<string?>("--url", "-u") { Description = "Zvonim's base URL, e.g. http://127.0.0.1:5080 (loopback only)." },
            new Option<string?>("--bare-url") { Description = "A bare relay already running (zvonim-bench serve-bare); default: one in this process, or spawned with --spawn." },
            new Option<bool>("--spawn") { Description = "Start each server in its own process on a free loopback port (Zvonim from the built Zvonim.Web.dll)." },
            new Option<string?>("--server-dll") { Description = "Zvonim.Web.dll to start with --spawn (default: the repository's build)." },
            new Option<int?>("--server-pid") { Description = "Pid of the Zvonim server at --url, for its memory and CPU figures." },
            new Option<int?>("--bare-pid") { Description = "Pid of the bare relay at --bare-url, for its memory and CPU figures." },
            new Option<string[]>("--server-env") { Description = "KEY=VALUE settings for a spawned Zvonim, e.g. Zvonim__Signaling__SendQueueLimit=1024 (repeatable); a spawned bare relay takes the DOTNET_* ones." },
            new Option<string?>("--json", "-j") { Description = "Also write the results as JSON to this file." },
            new Option<double>("--duration", "-d") { Description = "Measured seconds (each relay phase; idle: how long the sockets are held).", DefaultValueFactory = _ => duration },
            new Option<double>("--warmup") { Description = "Unmeasured seconds before.", DefaultValueFactory = _ => warmup },
            new Option<int>("--calls", "-c") { Description = "setup: concurrent setups; relay: calls carrying traffic; idle: calls held (2 sockets each).", DefaultValueFactory = _ => calls },
            new Option<int>("--connect-parallel") { Description = "Calls connected at once while setting up.", DefaultValueFactory = _ => 64 },
            new Option<int>("--source-addresses") { Description = "Spread sockets over this many source addresses 127.0.0.2… (0: off).", DefaultValueFactory = _ => 8 },
            new Option<bool>("--quiet", "-q") { Description = "No progress lines." },
            new Option<bool>("--bare-buffered") { Description = "Experiment: the bare relay keeps a 4 KB receive buffer per socket for its whole life (default: a zero-byte read, a buffer per message, as Zvonim's bridge)." },
            new Option<string?>("--peer-url") { Description = "Cluster: another node of the same cluster as --url; each call's second socket connects there (--target zvonim)." },
            new Option<bool>("--pin") { Description = $"Each server in its own process under taskset -c {CorePinning.ServerCore}, this generator on core {CorePinning.GeneratorCore} (needs --spawn for Zvonim; Linux)." },
            new Option<string?>("--peerjs-dir") { Description = $"Where npm installs peer@{PeerJsServer.Version} when missing (default {PeerJsServer.DefaultDirectory})." });
        common.Target.Validators.Add(result =>
        {
            if (Targets(result.GetValueOrDefault<string>() ?? "") is null)
                result.AddError("--target: zvonim, bare, peerjs, a comma list of them, both or all.");
        });
        foreach (var option in new Option[]
                 {
                     common.Target, common.Url, common.BareUrl, common.Spawn, common.ServerDll, common.ServerPid, common.BarePid, common.ServerEnv, common.Json,
                     common.Duration, common.Warmup, common.Calls, common.ConnectParallel, common.SourceAddresses, common.Quiet, common.BareBuffered,
                     common.PeerUrl, common.Pin, common.PeerJsDir,
                 })
        {
            command.Add(option);
        }
        return common;
    }

    /// <summary>The targets of a --target value, in the order they run (Zvonim first); null when not valid.</summary>
    private static string[]? Targets(string value)
    {
        string[] order = ["zvonim", "bare", "peerjs"];
        var named = value switch
        {
            "both" => ["zvonim", "bare"],
            "all" => order,
            _ => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        if (named.Length == 0 || named.Any(t => !order.Contains(t))) return null;
        return [.. order.Where(named.Contains)];
    }

    private static async Task<int> RunScenarioAsync(string scenario, string[] args, ParseResult parse, Common common, TextWriter output, TextWriter error,
        Func<ScenarioSettings, ScenarioSettings> configure, Func<ServerUnderTest, ScenarioSettings, CancellationToken, Task<List<RunResult>>> run, CancellationToken ct,
        Versus? versus = null)
    {
        var versusDll = versus?.Dll;
        var target = parse.GetValue(common.Target)!;
        var targets = Targets(target)!;
        var url = parse.GetValue(common.Url);
        var spawn = parse.GetValue(common.Spawn);
        var pin = parse.GetValue(common.Pin);
        var progress = parse.GetValue(common.Quiet) ? null : error;
        var settings = configure(new ScenarioSettings
        {
            Duration = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(common.Duration))),
            Warmup = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(common.Warmup))),
            Calls = Math.Max(1, parse.GetValue(common.Calls)),
            ConnectParallelism = Math.Max(1, parse.GetValue(common.ConnectParallel)),
            SourceAddresses = parse.GetValue(common.SourceAddresses),
            PeerUrl = parse.GetValue(common.PeerUrl) is { } peer ? BenchClient.RequireLoopback(new Uri(peer)) : null,
            Progress = progress,
        });
        var report = new BenchReport { Command = "zvonim-bench " + string.Join(' ', args) };
        report.Parameters["scenario"] = scenario;
        report.Parameters["target"] = target;
        report.Parameters["spawn"] = spawn;
        report.Parameters["pin"] = pin;
        report.Parameters["calls"] = settings.Calls;
        report.Parameters["duration_s"] = settings.Duration.TotalSeconds;
        report.Parameters["warmup_s"] = settings.Warmup.TotalSeconds;
        if (scenario == "relay")
        {
            report.Parameters["window"] = settings.Window;
            report.Parameters["rate"] = settings.Rate;
            report.Parameters["mode"] = settings.Mode;
        }
        report.Parameters["server_env"] = parse.GetValue(common.ServerEnv) ?? [];
        report.Parameters["bare_buffered"] = parse.GetValue(common.BareBuffered);
        if (targets.Contains("peerjs") && scenario != "relay")
        {
            await error.WriteLineAsync("--target peerjs: only the relay scenario speaks the PeerJS server's protocol.").ConfigureAwait(false);
            return CannotRun;
        }
        if (settings.PeerUrl is not null && target != "zvonim")
        {
            await error.WriteLineAsync("--peer-url needs --target zvonim: the bare relay is one process.").ConfigureAwait(false);
            return 2;
        }
        report.Parameters["peer_url"] = settings.PeerUrl?.ToString() ?? "";
        if (versus?.Problem(spawn, targets, settings) is { } problem)
        {
            await error.WriteLineAsync(problem).ConfigureAwait(false);
            return CannotRun;
        }
        if (versusDll is not null)
        {
            report.Parameters["versus"] = Path.GetFullPath(versusDll);
            report.Parameters["versus_env"] = versus!.Environment;
            report.Parameters["slice_s"] = versus.Turn.TotalSeconds;
        }

        try
        {
            if (targets.Contains("zvonim") && url is null && !spawn)
                throw new ArgumentException("Zvonim needs --url (a running server) or --spawn.");
            if (pin && targets.Contains("zvonim") && !spawn)
                throw new ArgumentException("--pin starts the server under test on its core itself: add --spawn.");
            using var pinned = pin ? CorePinning.PinGenerator() : null;
            if (versusDll is not null) report.Runs.AddRange(await RunVersusAsync(parse, common, versus!, settings, progress, ct).ConfigureAwait(false));
            else foreach (var name in targets)
            {
                await using var server = await ProvideAsync(name, parse, common, progress, ct).ConfigureAwait(false);
                var runs = await run(server, settings, ct).ConfigureAwait(false);
                foreach (var result in runs) result.Note ??= server.Note;
                report.Runs.AddRange(runs);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or TimeoutException or InvalidOperationException or BenchFailure
                                       or HttpRequestException or OrderViolation or PlatformNotSupportedException)
        {
            await error.WriteLineAsync($"zvonim-bench: {ex.Message}").ConfigureAwait(false);
            return CannotRun;
        }

        report.Compare();
        await output.WriteAsync(ResultTable.Render(report)).ConfigureAwait(false);
        if (parse.GetValue(common.Json) is { } path)
        {
            await report.WriteJsonAsync(path).ConfigureAwait(false);
            await error.WriteLineAsync($"results written to {Path.GetFullPath(path)}").ConfigureAwait(false);
        }
        if (!report.Clean) await error.WriteLineAsync("zvonim-bench: some messages were lost, reordered, duplicated or changed, or steps failed (see the integrity line).").ConfigureAwait(false);
        return report.Clean ? 0 : IntegrityFailed;
    }

    /// <summary>This build and the --versus one, spawned, given the setup load in turns.</summary>
    private static async Task<RunResult[]> RunVersusAsync(ParseResult parse, Common common, Versus versus, ScenarioSettings settings, TextWriter? progress,
        CancellationToken ct)
    {
        await using var server = await ProvideAsync("zvonim", parse, common, progress, ct).ConfigureAwait(false);
        string[] environment = [.. parse.GetValue(common.ServerEnv) ?? [], .. versus.Environment];
        await using var other = await SpawnedServer.StartZvonimAsync(versus.Dll, environment, parse.GetValue(common.Pin) ? CorePinning.ServerCore : null,
            progress, target: "versus").ConfigureAwait(false);
        var both = await SetupScenario.RunAlternatingAsync(server, other, settings, versus.Turn, ct).ConfigureAwait(false);
        foreach (var (result, by) in both.Zip(new ServerUnderTest[] { server, other })) result.Note ??= by.Note;
        return both;
    }

    private static async Task<ServerUnderTest> ProvideAsync(string target, ParseResult parse, Common common, TextWriter? progress, CancellationToken ct)
    {
        var spawn = parse.GetValue(common.Spawn);
        int? core = parse.GetValue(common.Pin) ? CorePinning.ServerCore : null;
        if (target == "peerjs") return await PeerJsServer.StartAsync(parse.GetValue(common.PeerJsDir), core, progress, ct).ConfigureAwait(false);
        if (target == "zvonim")
        {
            if (spawn) return await SpawnedServer.StartZvonimAsync(parse.GetValue(common.ServerDll), parse.GetValue(common.ServerEnv) ?? [], core, progress).ConfigureAwait(false);
            var url = BenchClient.RequireLoopback(new Uri(parse.GetValue(common.Url)!));
            return new ExternalServer { Target = "zvonim", Url = url, Pid = parse.GetValue(common.ServerPid) };
        }
        if (parse.GetValue(common.BareUrl) is { } bareUrl)
            return new ExternalServer { Target = "bare", Url = BenchClient.RequireLoopback(new Uri(bareUrl)), Pid = parse.GetValue(common.BarePid) };
        var buffered = parse.GetValue(common.BareBuffered);
        // Pinned, the bare relay needs a process of its own too: in here it would share the generator's core.
        if (spawn || core is not null)
            return await SpawnedServer.StartBareAsync(buffered, parse.GetValue(common.ServerEnv) ?? [], core, progress).ConfigureAwait(false);
        return await InProcessBare.StartAsync(buffered).ConfigureAwait(false);
    }

    private static List<RunResult> RunBenchmarkDotNet(string jobName, string[] filters)
    {
        var job = (jobName switch
        {
            "dry" => Job.Dry,
            "medium" => Job.MediumRun,
            _ => Job.ShortRun,
        }).WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub, JsonExporter.Brief)
            .WithArtifactsPath(Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts"));
#if DEBUG
        config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
#endif
        if (filters.Length > 0) config = config.AddFilter(new GlobFilter(filters));
        var summary = BenchmarkRunner.Run<HotPathBenchmarks>(config);
        var results = new List<RunResult>();
        foreach (var report in summary.Reports)
        {
            var name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
            var result = new RunResult("micro: " + name, "in-process");
            if (report.ResultStatistics is { } statistics) result.Add("ns_per_msg", statistics.Mean, "ns").Add("ns_stddev", statistics.StandardDeviation, "ns");
            if (report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) is { } bytes) result.Add("bytes_per_msg", bytes, "B");
            if (!report.Success) result.Integrity.AddFailure("the benchmark did not run to the end");
            results.Add(result);
        }
        return results;
    }
}
