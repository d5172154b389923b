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

    private readonly string? _clockKey;
    private readonly long _started;
    private volatile bool _disposed;

    public TimeProviderScheduler(Config config, ILoggingAdapter log) : base(config, log)
    {
        _clockKey = config.GetString(ClockKeyPath, null);
        if (string.IsNullOrEmpty(_clockKey)) Clock = TimeProvider.System;
        else if (!Clocks.TryGetValue(_clockKey, out var clock))
            throw new ConfigurationException($"{ClockKeyPath} names no registered clock.");
        else Clock = clock;
        _started = Clock.GetTimestamp();
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
        entry.Arm(Clock.CreateTimer(static state => ((Entry)state!).Fire(), entry, delay, interval ?? Timeout.InfiniteTimeSpan));
    }

    public void Dispose()
    {
        _disposed = true;
        if (_clockKey is not null) Clocks.TryRemove(_clockKey, out _);
    }

    /// <summary>One scheduled piece of work: its timer is dropped when it has run (once) or when it is cancelled,
    /// so a cancelled deadline holds nothing until its due time.</summary>
    private sealed class Entry(TimeProviderScheduler owner, IRunnable work, bool repeating, ICancelable? cancelable)
    {
        private ITimer? _timer;
        private CancellationTokenRegistration _registration;
        private int _done;

        public void Arm(ITimer timer)
        {
            _timer = timer;
            if (cancelable is not null)
                _registration = cancelable.Token.UnsafeRegister(static state => ((Entry)state!).Stop(), this);
            // A zero delay on a fake clock fires inside CreateTimer, before the timer was known here.
            if (Volatile.Read(ref _done) == 1) Release();
        }

        public void Fire()
        {
            if (Volatile.Read(ref _done) == 1 || owner._disposed || cancelable is { IsCancellationRequested: true }) return;
            if (!repeating && Interlocked.Exchange(ref _done, 1) == 1) return;
            try
            {
                work.Run();
            }
            catch (Exception ex)
            {
                owner.Log.Error(ex, "A scheduled task failed");
            }
            if (!repeating) Release();
        }

        private void Stop()
        {
            Volatile.Write(ref _done, 1);
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
