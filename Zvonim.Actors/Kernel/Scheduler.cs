namespace Zvonim.Actors.Kernel;

public interface ICancelable
{
    bool IsCancellationRequested { get; }

    void Cancel();
}

public interface IScheduler
{
    /// <summary>Tells <paramref name="message"/> to <paramref name="receiver"/> once, after <paramref name="delay"/>.</summary>
    ICancelable ScheduleTellOnceCancelable(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender);
}

internal sealed class TimerScheduler(TimeProvider time) : IScheduler
{
    public ICancelable ScheduleTellOnceCancelable(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender)
    {
        var scheduled = new ScheduledTell(receiver, message, sender);
        scheduled.Start(time, delay);
        return scheduled;
    }

    private sealed class ScheduledTell(IActorRef receiver, object message, IActorRef? sender) : ICancelable
    {
        private ITimer? _timer;
        private int _state; // 0 pending, 1 fired, 2 cancelled

        public bool IsCancellationRequested => Volatile.Read(ref _state) == 2;

        public void Start(TimeProvider time, TimeSpan delay)
        {
            _timer = time.CreateTimer(static s => ((ScheduledTell)s!).Fire(), this,
                delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
        }

        public void Cancel()
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) == 0) _timer?.Dispose();
        }

        private void Fire()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
            _timer?.Dispose();
            receiver.Tell(message, sender);
        }
    }
}
