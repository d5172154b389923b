namespace Zvonim.Actors.Calls;

/// <summary>
/// The ended calls a node still holds, oldest first, each with what the holder needs to retire it. An ended call keeps
/// its actor for its retention only to answer about itself ("ended" rather than "not found"); it is no longer a call
/// the node carries, so it does not count against the node's limit of calls. What does bound them is this list: past a
/// limit, the oldest retire early.
/// </summary>
public sealed class EndedCalls<TEntry>
{
    private readonly LinkedList<(string CallId, TEntry Entry)> _oldestFirst = new();
    private readonly Dictionary<string, LinkedListNode<(string CallId, TEntry Entry)>> _nodes = new(StringComparer.Ordinal);

    public int Count => _nodes.Count;

    /// <summary>Every call held, oldest first.</summary>
    public IEnumerable<(string CallId, TEntry Entry)> Entries => _oldestFirst;

    public void Add(string callId, TEntry entry)
    {
        if (!_nodes.ContainsKey(callId)) _nodes[callId] = _oldestFirst.AddLast((callId, entry));
    }

    public bool TryGet(string callId, out TEntry entry)
    {
        var held = _nodes.TryGetValue(callId, out var node);
        entry = held ? node!.Value.Entry : default!;
        return held;
    }

    public void Update(string callId, TEntry entry)
    {
        if (_nodes.TryGetValue(callId, out var node)) node.Value = (callId, entry);
    }

    /// <summary>The call is gone (retired, stopped): no longer held.</summary>
    public void Remove(string callId)
    {
        if (_nodes.Remove(callId, out var node)) _oldestFirst.Remove(node);
    }

    /// <summary>Takes the oldest ended call off the list while more than <paramref name="limit"/> are held.</summary>
    public bool TryTakeOldest(int limit, out string callId, out TEntry entry)
    {
        if (_nodes.Count <= limit || _oldestFirst.First is not { } oldest)
        {
            (callId, entry) = ("", default!);
            return false;
        }
        (callId, entry) = oldest.Value;
        Remove(callId);
        return true;
    }
}
