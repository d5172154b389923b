using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Zvonim.Actors.Time;

/// <summary>
/// Akka's scheduler on a <see cref="TimeProvider"/>: every timer an actor starts (scheduled tells, receive timeouts)
/// is a timer of that clock. The server runs it on <see cref="TimeProvider.System"/>; tests hand in a
/// <c>FakeTimeProvider</c>, so one clock drives the actors, the sockets and the web host in virtual time.
/// </summary>
/// <remarks>Akka builds its scheduler from HOCON with (Config, ILoggingAdapter) only, so the clock is found through
/// a key in the configuration (<see cref="ConfigFor"/>); no key means the system clock.</remarks>
public sealed class TimeProviderScheduler : SchedulerBase, IDisposable
{
    public const string ClockKeyPath = "zvonim.clock";

    private static readonly ConcurrentDictionary<string, TimeProvider> Clocks = new(StringComparer.Ordinal);

    /// <summary>One-shot timers this long or longer share one clock timer (<see cref="TimerHeap"/>); shorter ones,
    /// and repeating ones, get a clock timer each.</summary>
    internal static readonly TimeSpan SharedFrom = TimeSpan.FromSeconds(1);

    private readonly string? _clockKey;
    private readonly long _started;
    private readonly TimerHeap _shared;
    private volatile bool _disposed;

    public TimeProviderScheduler(Config config, ILoggingAdapter log) : base(config, log)
    {
        _clockKey = config.GetString(ClockKeyPath, null);
        if (string.IsNullOrEmpty(_clockKey)) Clock = TimeProvider.System;
        else if (!Clocks.TryGetValue(_clockKey, out var clock))
            throw new ConfigurationException($"{ClockKeyPath} names no registered clock.");
        else Clock = clock;
        _started = Clock.GetTimestamp();
        _shared = new TimerHeap(Clock);
    }

    /// <summary>The clock every timer of this actor system runs on.</summary>
    public TimeProvider Clock { get; }

    /// <summary>The HOCON that makes an actor system run its timers on <paramref name="clock"/>.</summary>
    public static Config ConfigFor(TimeProvider clock)
    {
        var implementation = $"akka.scheduler.implementation = \"{typeof(TimeProviderScheduler).AssemblyQualifiedName}\"";
        if (ReferenceEquals(clock, TimeProvider.System)) return ConfigurationFactory.ParseString(implementation);
        var key = Guid.NewGuid().ToString("N");
        Clocks[key] = clock;
        return ConfigurationFactory.ParseString($"{implementation}\n{ClockKeyPath} = \"{key}\"");
    }

    protected override DateTimeOffset TimeNow => Clock.GetUtcNow();

    public override TimeSpan MonotonicClock => Clock.GetElapsedTime(_started);

    public override TimeSpan HighResMonotonicClock => MonotonicClock;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Start(delay, null, new TellWork(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Start(initialDelay, interval, new TellWork(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Start(delay, null, new ActionWork(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Start(delay, null, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Start(initialDelay, interval, new ActionWork(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Start(initialDelay, interval, action, cancelable);

    private void Start(TimeSpan delay, TimeSpan? interval, IRunnable work, ICancelable? cancelable)
    {
        if (_disposed || cancelable is { IsCancellationRequested: true }) return;
        var entry = new Entry(this, work, repeating: interval is not null, cancelable);
        if (interval is null && delay >= SharedFrom) entry.ArmShared(delay);
        else entry.Arm(Clock.CreateTimer(static state => ((Entry)state!).OnTimer(), entry, delay, interval ?? Timeout.InfiniteTimeSpan));
    }

    /// <summary>Long one-shot timers waiting on the shared clock timer, cancelled ones not yet dropped included.</summary>
    internal int SharedCount => _shared.Count;

    public void Dispose()
    {
        _disposed = true;
        _shared.Dispose();
        if (_clockKey is not null) Clocks.TryRemove(_clockKey, out _);
    }

    /// <summary>One scheduled piece of work, on a clock timer of its own or on the shared one. Its timer is dropped when
    /// it has run (once) or when it is cancelled, so a cancelled deadline holds no clock timer until its due time.</summary>
    private sealed class Entry(TimeProviderScheduler owner, IRunnable work, bool repeating, ICancelable? cancelable) : TimerHeap.Item
    {
        private IRunnable? _work = work; // let go when cancelled: a cancelled entry may wait in the shared heap a while
        private ITimer? _timer;
        private bool _shared;
        private CancellationTokenRegistration _registration;

        public void Arm(ITimer timer)
        {
            _timer = timer;
            Register();
            // A zero delay on a fake clock fires inside CreateTimer, before the timer was known here.
            if (IsDone) Release();
        }

        public void ArmShared(TimeSpan delay)
        {
            _shared = true;
            owner._shared.Add(this, delay);
            Register();
        }

        private void Register()
        {
            if (cancelable is not null)
                _registration = cancelable.Token.UnsafeRegister(static state => ((Entry)state!).Stop(), this);
        }

        /// <summary>Its own clock timer fired.</summary>
        public void OnTimer()
        {
            if (IsDone || owner._disposed || cancelable is { IsCancellationRequested: true }) return;
            if (!repeating && !TryFinish()) return;
            Run();
            if (!repeating) Release();
        }

        /// <summary>The shared timer fired it (and marked it done).</summary>
        public override void Fire()
        {
            if (!owner._disposed && cancelable is not { IsCancellationRequested: true }) Run();
            Release();
        }

        private void Run()
        {
            try
            {
                _work?.Run();
            }
            catch (Exception ex)
            {
                owner.Log.Error(ex, "A scheduled task failed");
            }
        }

        private void Stop()
        {
            if (TryFinish() && _shared) owner._shared.Cancelled();
            _work = null;
            Release();
        }

        private void Release()
        {
            _timer?.Dispose();
            _registration.Dispose();
        }
    }

    private sealed class TellWork(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);

        public void Execute() => Run();
    }

    private sealed class ActionWork(Action action) : IRunnable
    {
        public void Run() => action();

        public void Execute() => Run();
    }
}
