using System.Net;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Media;
using Zvonim.Media.Sfu;
using Zvonim.Web.Hosting;
using Zvonim.Web.Settings;

namespace Zvonim.Web.ChatCalls;

/// <summary>
/// The node's media forwarder: made when the first session on this node needs it, not at start, so a node that never
/// holds a chat or group call's media holds no UDP port. Its rooms get it through <see cref="RoomSettings"/>.
/// </summary>
public sealed class MediaForwarder(IOptions<ZvonimOptions> options, TimeProvider time) : IDisposable
{
    private readonly Lazy<MediaEngine> _engine = new(() => new MediaEngine(new MediaEngineOptions(options.Value.Sfu.Port,
        options.Value.Sfu.Addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse).ToArray(),
        InactivityTimeout: options.Value.Sfu.InactivityTimeout, OnPacketThread: BatchScheduling.ExemptCallingThread), time));

    public MediaEngine Engine => _engine.Value;

    /// <summary>What every room on this node is made with.</summary>
    public MediaRoomSettings RoomSettings
    {
        get
        {
            var sfu = options.Value.Sfu;
            return new MediaRoomSettings(sfu.MaxParticipants == 0 ? int.MaxValue : sfu.MaxParticipants, sfu.ReconnectGrace, () => _engine.Value,
                sfu.MaxSessionsPerUser, sfu.InactivityTimeout);
        }
    }

    public void Dispose()
    {
        if (_engine.IsValueCreated) _engine.Value.Dispose();
    }
}
