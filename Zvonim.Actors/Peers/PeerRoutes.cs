namespace Zvonim.Actors.Peers;

/// <summary>
/// A <see cref="PeerActor"/>'s ways to the other participants' sockets on its node. It asks each one's actor for
/// its socket (<see cref="OpenRoute"/>); the answer comes after every frame told to that actor before the question.
/// A socket whose answer no frame overtook is written to directly; one that a frame sent by message after the
/// question may have overtaken is asked again behind it. Every answered socket is watched for congestion either way,
/// so the reader stops for a slow receiver at once, not when the news of it has crossed the actors.
/// <para>
/// A frame that goes by message while a question is out is not queued on the receiver's socket yet: it may wait in a
/// busy actor's mailbox, where no congestion shows. Such frames (<see cref="Unqueued"/>) count for the sender's
/// reader as not handled until an answer to a question asked after them comes back, which that actor gives only once
/// it has queued them; so the reader stays within <see cref="ReadAhead.Limit"/> of what the receivers have queued, not
/// of what the sender's actor has told them.
/// </para>
/// </summary>
internal sealed class PeerRoutes
{
    public enum Answer { Ignored, AskAgain, Direct }

    /// <summary>One of the reader's frames told by message to actors with a question out; handled for the reader once
    /// each of them has answered a question asked after it. Only the sender's actor touches it.</summary>
    public sealed class Unqueued(RelayLane lane)
    {
        public int Awaited { get; private set; }

        public void AwaitOne() => Awaited++;

        public void Queued()
        {
            if (--Awaited == 0) lane.Handled();
        }
    }

    /// <summary>Per socket: frames told before the question now out (its answer queues them), and since (the next one's).</summary>
    private sealed class Backlog
    {
        public List<Unqueued> BeforeQuestion = [];
        public List<Unqueued> SinceQuestion = [];
    }

    private readonly Dictionary<string, Backlog> _unqueued = new(StringComparer.Ordinal);

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
        if (_unqueued.TryGetValue(peerId, out var backlog))
        {
            Release(backlog.BeforeQuestion);
            // The next question goes behind the frames told since this one.
            (backlog.BeforeQuestion, backlog.SinceQuestion) = (backlog.SinceQuestion, backlog.BeforeQuestion);
            if (backlog.BeforeQuestion.Count == 0) _unqueued.Remove(peerId);
        }
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

    /// <summary>Whether a question to <paramref name="peerId"/>'s actor is out.</summary>
    public bool IsAsked(string peerId) => _asked.ContainsKey(peerId);

    /// <summary>A frame for <paramref name="peerId"/> went by message: a pending answer may overtake it. A frame
    /// <paramref name="countedBy"/> a reader's lane then waits, as <paramref name="frame"/> (made here for the first of
    /// its receivers with a question out), for an answer to a later question before that reader counts it handled.</summary>
    public void WentByMessage(string peerId, RelayLane? countedBy, ref Unqueued? frame)
    {
        if (!_asked.ContainsKey(peerId)) return;
        _asked[peerId] = true;
        if (countedBy is null) return;
        frame ??= new Unqueued(countedBy);
        if (!_unqueued.TryGetValue(peerId, out var backlog)) _unqueued[peerId] = backlog = new Backlog();
        frame.AwaitOne();
        backlog.SinceQuestion.Add(frame);
    }

    private static void Release(List<Unqueued> frames)
    {
        foreach (var frame in frames) frame.Queued();
        frames.Clear();
    }

    /// <summary>No answer will come for <paramref name="peerId"/>'s frames (it left, or its actor is gone): they no
    /// longer hold the reader back.</summary>
    private void ReleaseAll(string peerId)
    {
        if (_unqueued.Remove(peerId, out var backlog)) Release(backlog);
    }

    private static void Release(Backlog backlog)
    {
        Release(backlog.BeforeQuestion);
        Release(backlog.SinceQuestion);
    }

    /// <summary>Forgets <paramref name="peerId"/>'s socket (it left, or a newer socket replaced it).</summary>
    public void Forget(string peerId)
    {
        ReleaseAll(peerId);
        _asked.Remove(peerId);
        _direct.Remove(peerId);
        _watched.Remove(peerId);
    }

    public void Clear()
    {
        foreach (var backlog in _unqueued.Values) Release(backlog);
        _unqueued.Clear();
        _asked.Clear();
        _direct.Clear();
        _watched.Clear();
    }

    public RelayLane.Targets Targets(string from) => new(from, [.. _direct.Select(s => (s.Key, s.Value))]);

    public IPeerConnection[] Watched() => [.. _watched.Values];
}
