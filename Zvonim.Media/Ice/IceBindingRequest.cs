namespace Zvonim.Media.Ice;

/// <summary>What an answered connectivity check said, for the session to act on.</summary>
public readonly struct IceBindingRequest
{
    /// <summary>USE-CANDIDATE: the controlling agent nominates this pair; media goes to where the request came from.</summary>
    public bool UseCandidate { get; init; }

    /// <summary>ICE-CONTROLLING: the peer is the controlling agent, as it must be against an ICE-lite one.</summary>
    public bool IceControlling { get; init; }

    /// <summary>ICE-CONTROLLED: the peer thinks it is controlled too, a role conflict only a broken full agent
    /// creates (RFC 8445 §6.1.1 makes it controlling against a lite one). Reported, not answered with 487.</summary>
    public bool IceControlled { get; init; }

    /// <summary>PRIORITY: the peer-reflexive candidate priority the peer would give this address; 0 when absent.</summary>
    public uint Priority { get; init; }

    /// <summary>The remote part of USERNAME: the configured remote ufrag, or, while that was unknown, the one this
    /// request carried (so the session can learn it before the remote description arrives).</summary>
    public string? RemoteUfrag { get; init; }
}
