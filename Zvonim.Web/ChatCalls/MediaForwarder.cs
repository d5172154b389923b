using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Media;
using Zvonim.Media.Sfu;
using Zvonim.Web.Chats;
using Zvonim.Web.Settings;

namespace Zvonim.Web.ChatCalls;

/// <summary>
/// The media forwarder of a node: made at the first call socket, not at start, so a node that never carries a chat or
/// group call holds no UDP port; its rooms' actor; and the evictions that close the sockets of people removed from a group.
/// </summary>
public sealed class MediaForwarder(IOptions<ZvonimOptions> options, ActorSystem system, CallEvictions evictions, TimeProvider time) : IDisposable
{
    private readonly Lazy<MediaEngine> _engine = new(() => new MediaEngine(new MediaEngineOptions(options.Value.Sfu.Port,
        options.Value.Sfu.Addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse).ToArray(),
        InactivityTimeout: options.Value.Sfu.InactivityTimeout), time));

    private readonly Lazy<IActorRef> _rooms = new(() =>
    {
        var max = options.Value.Sfu.MaxParticipants;
        var rooms = system.ActorOf(MediaRooms.Props(max == 0 ? int.MaxValue : max), MediaRooms.Name);
        evictions.Evicted += (room, user) => rooms.Tell(new EvictFromRoom(room, user?.ToString()));
        return rooms;
    });

    public MediaEngine Engine => _engine.Value;

    public TimeSpan ReconnectGrace => options.Value.Sfu.ReconnectGrace;

    public IActorRef Rooms => _rooms.Value;

    public void Dispose()
    {
        if (_engine.IsValueCreated) _engine.Value.Dispose();
    }
}
