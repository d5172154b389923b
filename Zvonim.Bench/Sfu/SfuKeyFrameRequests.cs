using Zvonim.Media.Rtcp;

namespace Zvonim.Bench.Sfu;

/// <summary>
/// The key-frame requests (RTCP PLI or FIR) a load peer has heard from the forwarder, counted by the media SSRC they
/// name: what a browser's encoder answers with a key frame. The peer's receive thread hands over each SRTCP compound
/// it decrypted (<see cref="Hear"/>, read with Zvonim.Media's <see cref="RtcpReader"/>); a publisher awaits the next
/// request (<see cref="WhenRequested"/>) instead of guessing when a subscriber is there. RTCP is rare next to RTP, so
/// a lock here costs the packet path nothing.
/// </summary>
public sealed class SfuKeyFrameRequests
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, long> _counts = [];
    private readonly List<(uint Ssrc, long Seen, TaskCompletionSource Heard)> _waiting = [];

    /// <summary>Requests heard so far naming <paramref name="ssrc"/>.</summary>
    public long Count(uint ssrc)
    {
        lock (_gate) return _counts.GetValueOrDefault(ssrc);
    }

    /// <summary>Completes once more than <paramref name="seen"/> requests naming <paramref name="ssrc"/> have been heard
    /// (at once if they have).</summary>
    public Task WhenRequested(uint ssrc, long seen)
    {
        lock (_gate)
        {
            if (_counts.GetValueOrDefault(ssrc) > seen) return Task.CompletedTask;
            var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((ssrc, seen, heard));
            return heard.Task;
        }
    }

    /// <summary>On the receive thread: a decrypted RTCP compound from the forwarder. Counts the PLIs and FIRs in it and
    /// wakes whoever waits for them.</summary>
    internal void Hear(ReadOnlySpan<byte> compound)
    {
        foreach (var rtcp in new RtcpReader(compound))
        {
            if (!rtcp.IsKeyFrameRequest) continue;
            lock (_gate)
            {
                var count = _counts[rtcp.MediaSsrc] = _counts.GetValueOrDefault(rtcp.MediaSsrc) + 1;
                for (var i = _waiting.Count - 1; i >= 0; i--)
                {
                    var (ssrc, seen, heard) = _waiting[i];
                    if (ssrc != rtcp.MediaSsrc || count <= seen) continue;
                    _waiting.RemoveAt(i);
                    heard.TrySetResult();
                }
            }
        }
    }
}
