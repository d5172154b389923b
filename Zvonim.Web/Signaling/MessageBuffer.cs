using System.Buffers;

namespace Zvonim.Web.Signaling;

/// <summary>
/// The receive buffer of one socket: rented from the pool only while a message is being read, grown up to the
/// limit, and returned exactly once, whichever way reading ends.
/// </summary>
internal sealed class MessageBuffer(int maxBytes) : IDisposable
{
    private const int InitialBytes = 4096;

    private byte[]? _array;

    /// <summary>Room for the bytes after the first <paramref name="used"/>; empty when the limit is reached.</summary>
    public Memory<byte> SpaceAfter(int used)
    {
        _array ??= ArrayPool<byte>.Shared.Rent(Math.Min(InitialBytes, maxBytes));
        var capacity = Math.Min(_array.Length, maxBytes);
        if (used == capacity && capacity < maxBytes)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_array.Length * 2, maxBytes));
            _array.AsSpan(0, used).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
            capacity = Math.Min(_array.Length, maxBytes);
        }
        return _array.AsMemory(used, capacity - used);
    }

    public ReadOnlySpan<byte> Written(int count) => count == 0 ? [] : _array.AsSpan(0, count);

    public void Release()
    {
        if (_array is null) return;
        ArrayPool<byte>.Shared.Return(_array);
        _array = null;
    }

    public void Dispose() => Release();
}
