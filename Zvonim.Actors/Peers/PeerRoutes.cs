namespace Zvonim.Actors.Peers;

/// <summary>
/// A <see cref="PeerActor"/>'s ways to the other participants' sockets on its node. It asks each one's actor for
/// its socket (<see cref="OpenRoute"/>); the answer comes after every frame told to that actor before the question.
/// A socket whose answer no frame overtook is written to directly; one that a frame sent by message after the
/// question may have overtaken is asked again behind it. Every answered socket is watched for congestion either way,
/// so the reader stops for a slow receiver at once, not when the news of it has crossed the actors.
/// </summary>
internal sealed class PeerRoutes
{
    public enum Answer { Ignored, AskAgain, Direct }

    private readonly Dictionary<string, IPeerConnection> _direct = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IPeerConnection> _watched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _asked = new(StringComparer.Ordinal); // true: a frame went by message since

    public int DirectCount => _direct.Count;

    /// <summary>The question for <paramref name="peerId"/>'s socket is on its way.</summary>
    public void Asked(string peerId) => _asked[peerId] = false;

    /// <summary>The other actor answered with its socket: write to it directly, or ask again if a frame went by
    /// message after the question (the answer may have overtaken it).</summary>
    public Answer Answered(string peerId, IPeerConnection sink)
    {
        if (!_asked.Remove(peerId, out var overtaken)) return Answer.Ignored;
        _watched[peerId] = sink;
        if (overtaken) return Answer.AskAgain;
        _direct[peerId] = sink;
        return Answer.Direct;
    }

    /// <summary>Writes <paramref name="signal"/> to <paramref name="peerId"/>'s socket if it is written to directly;
    /// <paramref name="congested"/> says whether that socket is past its high-water mark now.</summary>
    public bool TrySend(string peerId, SignalEvent signal, out bool congested)
    {
        congested = false;
        if (!_direct.TryGetValue(peerId, out var sink)) return false;
        sink.Send(signal);
        congested = !sink.WhenWritable.IsCompleted;
        return true;
    }

    /// <summary>A frame for <paramref name="peerId"/> went by message: a pending answer may overtake it.</summary>
    public void WentByMessage(string peerId)
    {
        if (_asked.ContainsKey(peerId)) _asked[peerId] = true;
    }

    /// <summary>Forgets <paramref name="peerId"/>'s socket (it left, or a newer socket replaced it).</summary>
    public void Forget(string peerId)
    {
        _asked.Remove(peerId);
        _direct.Remove(peerId);
        _watched.Remove(peerId);
    }

    public void Clear()
    {
        _asked.Clear();
        _direct.Clear();
        _watched.Clear();
    }

    public RelayLane.Targets Targets(string from) => new(from, [.. _direct.Select(s => (s.Key, s.Value))]);

    public IPeerConnection[] Watched() => [.. _watched.Values];
}
