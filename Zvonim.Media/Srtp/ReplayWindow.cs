namespace Zvonim.Media.Srtp;

/// <summary>
/// The sliding replay list of RFC 3711 §3.3.2: the highest index accepted and a 64-bit map of the 64 indices up to
/// it. A mutable struct kept inside <see cref="SrtpStreamState"/> so a stream costs one allocation, not three.
/// </summary>
internal struct ReplayWindow
{
    public const int Size = 64;

    // Bit n set: index Highest - n has been accepted.
    private ulong _seen;

    /// <summary>Whether any packet has been accepted; until then <see cref="Highest"/> means nothing.</summary>
    public bool Started { get; private set; }

    public long Highest { get; private set; }

    /// <summary>False for an index already accepted or too far behind to tell (RFC 3711 §3.3.2).</summary>
    public readonly bool IsFresh(long index)
    {
        if (!Started || index > Highest) return true;
        var age = Highest - index;
        return age < Size && (_seen & (1UL << (int)age)) == 0;
    }

    /// <summary>Records an index that passed <see cref="IsFresh"/> and authentication, sliding forward if it is new.</summary>
    public void Accept(long index)
    {
        if (!Started)
        {
            Started = true;
            Highest = index;
            _seen = 1;
        }
        else if (index > Highest)
        {
            var shift = index - Highest;
            _seen = shift >= Size ? 1 : (_seen << (int)shift) | 1;
            Highest = index;
        }
        else
        {
            _seen |= 1UL << (int)(Highest - index);
        }
    }
}
