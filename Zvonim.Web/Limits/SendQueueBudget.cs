namespace Zvonim.Web.Limits;

/// <summary>
/// Bytes queued for slow clients on the whole node (<c>Limits:MaxSendQueueBytes</c>). Each socket's own queue is
/// bounded (<c>Signaling:SendQueueBytesLimit</c>); this bounds them together, so many slow readers at once cannot take
/// the node's memory. It never drops a frame: a socket that queues while the node is past its budget counts as
/// congested, and its senders pause reading their clients until it drains.
/// </summary>
public sealed class SendQueueBudget(long limit)
{
    private long _queued;

    public static SendQueueBudget Unlimited { get; } = new(long.MaxValue);

    public long Limit { get; } = limit;

    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Counts <paramref name="bytes"/> in; true while the node is still within its budget.</summary>
    public bool Add(long bytes) => Interlocked.Add(ref _queued, bytes) <= Limit;

    public void Remove(long bytes)
    {
        if (bytes != 0) Interlocked.Add(ref _queued, -bytes);
    }
}
