using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Kernel;

/// <summary>The virtual clock the kernel tests rely on.</summary>
public sealed class ManualTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _time = new(Start);
    private readonly List<(string Name, DateTimeOffset At)> _fired = [];

    private ITimer Timer(string name, TimeSpan due, TimeSpan? period = null) =>
        _time.CreateTimer(_ => _fired.Add((name, _time.GetUtcNow())), null, due, period ?? Timeout.InfiniteTimeSpan);

    private static DateTimeOffset At(double seconds) => Start + TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Nothing_moves_until_Advance()
    {
        using var timer = Timer("a", TimeSpan.Zero);

        Assert.Equal(Start, _time.GetUtcNow());
        Assert.Empty(_fired);

        _time.Advance(TimeSpan.FromSeconds(2.5));

        Assert.Equal(At(2.5), _time.GetUtcNow());
        Assert.Equal([("a", Start)], _fired);
    }

    [Fact]
    public void Timers_fire_in_due_order_with_the_clock_at_their_due_time()
    {
        using var c = Timer("c", TimeSpan.FromSeconds(3));
        using var a = Timer("a", TimeSpan.FromSeconds(1));
        using var b1 = Timer("b1", TimeSpan.FromSeconds(2));
        using var b2 = Timer("b2", TimeSpan.FromSeconds(2));

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal([("a", At(1)), ("b1", At(2)), ("b2", At(2)), ("c", At(3))], _fired);
        Assert.Equal(At(10), _time.GetUtcNow());
    }

    [Fact]
    public void A_timer_does_not_fire_before_it_is_due()
    {
        using var timer = Timer("a", TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.Empty(_fired);
        Assert.Equal(1, _time.ActiveTimers);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([("a", At(5))], _fired);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public void A_periodic_timer_repeats_every_period()
    {
        using var timer = Timer("p", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal([("p", At(1)), ("p", At(2)), ("p", At(3))], _fired);

        _time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(("p", At(4)), _fired[^1]);
        Assert.Equal(4, _fired.Count);
        Assert.Equal(1, _time.ActiveTimers);
    }

    [Fact]
    public void Change_reschedules_relative_to_now_and_can_disable_the_timer()
    {
        using var timer = Timer("a", TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(4));

        Assert.True(timer.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Empty(_fired);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([("a", At(9))], _fired);

        Assert.True(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan)); // re-arm after firing
        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan)); // and disarm
        Assert.Equal(0, _time.ActiveTimers);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(_fired);
    }

    [Fact]
    public void Change_can_turn_a_one_shot_timer_periodic()
    {
        using var timer = Timer("a", Timeout.InfiniteTimeSpan);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(_fired);

        timer.Change(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        _time.Advance(TimeSpan.FromSeconds(8));

        Assert.Equal([("a", At(12)), ("a", At(15)), ("a", At(18))], _fired);
    }

    [Fact]
    public void A_disposed_timer_never_fires_and_cannot_be_changed()
    {
        var timer = Timer("a", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));

        timer.Dispose();
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Single(_fired);
        Assert.Equal(0, _time.ActiveTimers);
        Assert.False(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(_fired);
    }

    [Fact]
    public void A_timer_disposed_by_another_timer_due_at_the_same_time_does_not_fire()
    {
        ITimer? victim = null;
        using var killer = _time.CreateTimer(_ =>
        {
            _fired.Add(("killer", _time.GetUtcNow()));
            victim!.Dispose();
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        victim = Timer("victim", TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal([("killer", At(1))], _fired);
    }

    [Fact]
    public void A_timer_created_by_a_callback_fires_in_the_same_Advance_when_it_falls_due()
    {
        ITimer? inner = null;
        using var outer = _time.CreateTimer(_ =>
        {
            _fired.Add(("outer", _time.GetUtcNow()));
            inner = Timer("inner", TimeSpan.FromSeconds(2));
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal([("outer", At(1)), ("inner", At(3))], _fired);
        inner?.Dispose();
    }

    [Fact]
    public void Timestamps_follow_the_virtual_clock()
    {
        var before = _time.GetTimestamp();

        _time.Advance(TimeSpan.FromSeconds(42));

        Assert.Equal(TimeSpan.FromSeconds(42), _time.GetElapsedTime(before));
    }

    [Fact]
    public async Task Task_Delay_on_the_provider_completes_only_when_virtual_time_passes()
    {
        var delay = Task.Delay(TimeSpan.FromSeconds(30), _time);

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(delay.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        await delay.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
