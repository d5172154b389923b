using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;

namespace Zvonim.Tests.Actors;

/// <summary>The single node's ended calls as records: each retires at its own date, the oldest go first past the limit,
/// and the calls retired early leave nothing behind.</summary>
public sealed class RetainedCallsTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static CallRecord Ended(string callId) => new(callId, new RoomPolicy(), Start, true, []);

    [Fact]
    public void Calls_retire_at_their_own_dates_even_when_added_out_of_order()
    {
        var held = new RetainedCalls();
        held.Add(Ended("late"), Start.AddMinutes(5));
        held.Add(Ended("early"), Start.AddMinutes(1));
        held.Add(Ended("middle"), Start.AddMinutes(3));

        Assert.Equal(Start.AddMinutes(1), held.NextRetirement);
        Assert.Equal(["early", "middle"], held.TakeRetired(Start.AddMinutes(4)));
        Assert.True(held.TryGet("late", out _));
        Assert.False(held.TryGet("early", out _));
        Assert.Equal(Start.AddMinutes(5), held.NextRetirement);
    }

    [Fact]
    public void A_node_retiring_early_at_a_steady_rate_keeps_its_queue_near_the_calls_it_holds()
    {
        const int limit = 500;
        var held = new RetainedCalls();
        var retiredEarly = new List<string>();
        // Ten times the limit end within one retention: all but the last 500 retire early, oldest first.
        for (var i = 0; i < 10 * limit; i++)
        {
            held.Add(Ended($"call-{i}"), Start.AddMinutes(5).AddMilliseconds(i));
            while (held.TryTakeOldest(limit, out var oldest)) retiredEarly.Add(oldest);
            Assert.InRange(held.Queued, held.Count, held.Count + Math.Max(1024, held.Count) + 1);
        }

        Assert.Equal(Enumerable.Range(0, 9 * limit).Select(i => $"call-{i}"), retiredEarly);
        Assert.Equal(limit, held.Count);
        // What stays still retires on its dates, and nothing retired early comes back from the queue.
        Assert.Equal(Start.AddMinutes(5).AddMilliseconds(9 * limit), held.NextRetirement);
        Assert.Equal(Enumerable.Range(9 * limit, limit).Select(i => $"call-{i}"), held.TakeRetired(Start.AddMinutes(6)));
        Assert.Null(held.NextRetirement);
        Assert.Equal(0, held.Queued);
    }

    [Fact]
    public void A_replaced_record_keeps_its_first_retirement_date()
    {
        var held = new RetainedCalls();
        held.Add(Ended("call"), Start.AddMinutes(1));
        var changed = Ended("call") with { EndReason = EndReason.Completed };

        Assert.True(held.Replace(changed));
        held.Add(Ended("call"), Start.AddMinutes(9)); // a second end of the same call does not move its date

        Assert.True(held.TryGet("call", out var record));
        Assert.Equal(EndReason.Completed, record.EndReason);
        Assert.Equal(["call"], held.TakeRetired(Start.AddMinutes(1)));
        Assert.False(held.Replace(changed));
    }
}
