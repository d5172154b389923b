namespace Zvonim.Actors.Peers;

/// <summary>
/// Bytes of signalling frames held for participants who are not connected yet: bounded per socket and for the whole
/// node, so that sockets parking frames for people who never come cannot take the node's memory. Shared by every
/// PeerActor of a node (thread-safe).
/// </summary>
public sealed class PendingBudget(long bytesPerSocket, long bytesPerNode)
{
    private long _held;

    public static PendingBudget Unlimited { get; } = new(long.MaxValue, long.MaxValue);

    public long BytesPerSocket { get; } = bytesPerSocket;

    public long BytesPerNode { get; } = bytesPerNode;

    /// <summary>Bytes held on the whole node now.</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Reserves <paramref name="bytes"/> of the node's budget, or answers false and reserves nothing.</summary>
    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _held, bytes) <= BytesPerNode) return true;
        Interlocked.Add(ref _held, -bytes);
        return false;
    }

    public void Give(long bytes) => Interlocked.Add(ref _held, -bytes);
}
