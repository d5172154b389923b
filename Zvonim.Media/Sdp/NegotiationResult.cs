namespace Zvonim.Media.Sdp;

/// <summary>
/// The outcome of building one of the server's descriptions. On success, <see cref="Description"/> is the model to
/// pass back as the previous local description next time, and <see cref="Sdp"/> the text for the browser.
/// </summary>
/// <param name="Error">Why no description could be built (a browser offer the SFU cannot take, a bad server
/// identity); null on success.</param>
/// <param name="Senders">The tracks placed, each with its mid and payload type.</param>
/// <param name="Remote">For an answer: the browser's ICE credentials and fingerprint, from the first accepted
/// section (the transport BUNDLE puts everything on).</param>
/// <param name="Warnings">What was asked but not done: tracks whose codec the browser lacks, slots naming
/// sections that are not there. The description is still valid.</param>
public sealed record NegotiationResult(
    SessionDescription? Description,
    string? Error,
    IReadOnlyList<SenderBinding> Senders,
    TransportParameters? Remote,
    IReadOnlyList<string> Warnings)
{
    public bool Succeeded => Description is not null;

    /// <summary>The SDP text, or "" when there is no description.</summary>
    public string Sdp => Description?.ToSdp() ?? "";

    internal static NegotiationResult Fail(string error) => new(null, error, [], null, []);
}
