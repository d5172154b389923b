using System.Security.Cryptography;
using System.Text;
using Zvonim.Actors.Calls;

namespace Zvonim.Actors.Rooms;

/// <summary>
/// The secrets of a room whose peer ids are public: one per participant, handed out with its join. A request acting
/// as a participant proves it with the secret or, for clients that do not know about secrets, by coming from the
/// address that joined. Knowing a listed id is not enough.
/// </summary>
public sealed class PeerCredentials
{
    private readonly Dictionary<string, (string Secret, string? From)> _byPeer = new(StringComparer.Ordinal);

    /// <summary>A new participant's secret (about 250 bits, URL-safe).</summary>
    public string Issue(string peerId, string? from)
    {
        var secret = Ids.New() + Ids.New();
        _byPeer[peerId] = (secret, from);
        return secret;
    }

    public bool Allows(string peerId, Credentials? presented)
    {
        if (!_byPeer.TryGetValue(peerId, out var held)) return false;
        if (presented?.Secret is { Length: > 0 } secret)
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secret), Encoding.ASCII.GetBytes(held.Secret));
        return string.Equals(presented?.From, held.From, StringComparison.Ordinal);
    }

    public void Forget(string peerId) => _byPeer.Remove(peerId);

    /// <summary>The proof held for <paramref name="peerId"/>, for the call's record.</summary>
    public (string? Secret, string? From) Export(string peerId) => _byPeer.TryGetValue(peerId, out var held) ? held : (null, null);

    /// <summary>Takes back a proof from a call's record.</summary>
    public void Restore(string peerId, string secret, string? from) => _byPeer[peerId] = (secret, from);
}
