using System.Net;

namespace Zvonim.Media.Sfu;

/// <summary>
/// The addresses one peer's valid ICE checks came from, the most recently checked last, at most
/// <see cref="Limit"/>. A browser checks a handful of candidate pairs (host, reflexive, relayed, each family); one
/// that sends checks from ever new ports would otherwise grow the engine's address table without end. The packet
/// thread's alone.
/// </summary>
internal sealed class CheckedAddresses
{
    public const int Limit = 8;

    private readonly List<SocketAddress> _recent = new(Limit + 1);

    public IReadOnlyList<SocketAddress> All => _recent;

    /// <summary>The kept copy of <paramref name="address"/>, moved to most recent, or null when it is not kept.</summary>
    public SocketAddress? Touch(SocketAddress address)
    {
        var i = _recent.IndexOf(address);
        if (i < 0) return null;
        var kept = _recent[i];
        _recent.RemoveAt(i);
        _recent.Add(kept);
        return kept;
    }

    /// <summary>Keeps a new address as the most recent; returns the one forgotten to make room (the least recently
    /// checked other than <paramref name="inUse"/>), or null.</summary>
    public SocketAddress? Add(SocketAddress address, SocketAddress? inUse)
    {
        _recent.Add(address);
        if (_recent.Count <= Limit) return null;
        var i = _recent.FindIndex(kept => !ReferenceEquals(kept, inUse));
        var forgotten = _recent[i];
        _recent.RemoveAt(i);
        return forgotten;
    }

    public void Forget(SocketAddress address) => _recent.Remove(address);
}
