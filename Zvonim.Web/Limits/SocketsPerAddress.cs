using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Limits;

/// <summary>Things one client address holds open at once, bounded, so that one address cannot hold the node's
/// sockets (and file descriptors) against everyone else.</summary>
public class AddressCounter(int max)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    public int Max { get; } = max;

    /// <summary>Counts one more for <paramref name="address"/>, unless it already holds the most it may.</summary>
    public bool TryOpen(IPAddress address)
    {
        while (true)
        {
            var open = _open.GetOrAdd(address, 0);
            if (open >= Max) return false;
            if (_open.TryUpdate(address, open + 1, open)) return true;
        }
    }

    public void Close(IPAddress address)
    {
        while (true)
        {
            if (!_open.TryGetValue(address, out var open)) return;
            if (open <= 1)
            {
                if (_open.TryRemove(new KeyValuePair<IPAddress, int>(address, open))) return;
            }
            else if (_open.TryUpdate(address, open - 1, open)) return;
        }
    }

    public int OpenFrom(IPAddress address) => _open.GetValueOrDefault(address);
}

/// <summary>Open WebSockets per client address (<see cref="LimitOptions.MaxSocketsPerAddress"/>).</summary>
public sealed class SocketsPerAddress(IOptions<ZvonimOptions> options) : AddressCounter(options.Value.Limits.MaxSocketsPerAddress);
