using System.Text;
using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Media;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Users;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Serialization;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Cluster;

/// <summary>
/// Every message that may cross nodes goes through <see cref="ProtocolSerializer"/> and comes back equal, actor
/// references included; a new message type without a manifest fails here rather than falling back to Newtonsoft
/// JSON in production.
/// </summary>
public sealed class ProtocolSerializerTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static readonly CallSnapshot Snapshot = new("call-1", "call", CallStatus.Active, 2, new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
        null, [new ParticipantView("peer-a", "Anna", new DateTimeOffset(2026, 1, 1, 12, 0, 1, TimeSpan.Zero), null, false)]);

    private ProtocolSerializer Serializer => new((ExtendedActorSystem)Sys);

    private object RoundTrip(object message)
    {
        var serializer = Serializer;
        return serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }

    public static TheoryData<string> Samples() => [.. SampleMessages(ActorRefs.Nobody).Keys];

    /// <summary>One instance of every message type, keyed by a name for the theory.</summary>
    private static Dictionary<string, object> SampleMessages(IActorRef peer)
    {
        var policy = new RoomPolicy { Kind = "group-room", Capacity = 6, Lifetime = TimeSpan.FromDays(7), SeatHold = TimeSpan.FromSeconds(30), PublicPeerIds = true };
        object[] all =
        [
            new CreateCall(policy with { RingTimeout = TimeSpan.FromSeconds(40) }, new JoinAs("Anna", "10.0.0.1", "user-a"), new Invitee("user-b", "Bob")), new StartCall("call-1", new CreateCall(policy)),
            new GetCall("call-1", "call"), new JoinCall("call-1", "Bob", "call", "10.0.0.2"),
            new LeaveCall("call-1", "peer-a", "call", new Credentials("secret", "10.0.0.1")),
            new AttachPeer("call-1", "peer-a", JoinIfAbsent: true, "Anna", "call", new Credentials(null, "10.0.0.1")),
            new CallCreated("call-1", "peer-a", Snapshot, "secret"), new CallJoined("call-1", "peer-b", Snapshot),
            new CallLeft("call-1", "peer-a", Snapshot), new CallInfo(Snapshot), new CallRefused("call-2", Refusal.Glare, "They are calling you.", "call-1"),
            new PeerAdmitted("call-1", "peer-a", Snapshot, [new PeerLink("peer-b", "Bob", peer), new PeerLink("peer-c", null, null)]),
            new MemberJoined("peer-b", "Bob"), new PeerConnected("peer-b", "Bob", peer), new PeerDisconnected("peer-b"),
            new MemberLeft("peer-b"), new PeerCongestion("peer-b", true), new CallStateChanged(Snapshot), new CallEnded(Snapshot),
            new Superseded(), new RemovedFromCall(Snapshot),
            new ClientSignal(SignalKind.Offer, "peer-b", Encoding.UTF8.GetBytes("""{"type":"offer","sdp":"v=0"}""")),
            new ClientHello(), new ClientLeave(), new SocketClosed("closed"), new SocketCongestion(true),
            new CallRecord("call-1", policy, Snapshot.CreatedAt, Ended: false,
                [new ParticipantRecord("peer-a", "Anna", Snapshot.CreatedAt, Snapshot.CreatedAt, "secret", "10.0.0.1"), new ParticipantRecord("peer-b", null, Snapshot.CreatedAt, null)]),
            new SignalEvent("peer-a", SignalKind.IceCandidate, Encoding.UTF8.GetBytes("""{"type":"ice-candidate","candidate":"ü"}""")),
            // Signed-in users (seed 002).
            new RegisterDevice("user-a", peer), new DeviceRegistered("user-a"), new ClaimLine("user-a", "call-1", "user-b", Calling: true),
            new LineClaimed("user-a", "call-1"), new LineBusy("user-b", "call-2", "call-1", Glare: true), new ReleaseLine("user-a", "call-1"),
            new RingUser("user-b", new IncomingCall("call-1", "user-a", "Anna")), new Rang("user-b", "call-1", 2),
            new TellUser("user-a", new CallOver("call-1", EndReason.NoAnswer)), new GetPresence("user-a"), new Presence("user-a", true),
            new IncomingCall("call-1", "user-a", "Anna"), new CallAnswered("call-1"), new AnsweredElsewhere("call-1"),
            new CallOver("call-1", EndReason.Rejected),
            new DeviceSignal("call-1", new ClientSignal(SignalKind.Answer, null, Encoding.UTF8.GetBytes("""{"type":"webrtc:answer"}"""))),
            new DeviceAnswer("call-1", true), new DeviceHangUp("call-1"),
            // Seed 001: a socket's actor, its room and its session.
            new JoinMediaRoom("group-1", "s-1", "user-a", peer), new EvictFromRoom("group-1", null), new MediaRoomJoined("group-1", "s-1", peer),
            new SessionJoin("s-1"), new SessionOffer("v=0\r\n"), new SessionAnswer("v=0\r\n"), new SessionLeave(),
            new DescribeToSocket("offer", "v=0\r\n", "s-1"), new ErrorToSocket("bad_message", "No."),
            new CloseSocket(CloseReason.Refused, "This call is full.", Refusal.Full),
        ];
        return all.ToDictionary(m => m.GetType().Name);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_comes_back_equal(string type)
    {
        var peer = CreateTestProbe().Ref;
        var message = SampleMessages(peer)[type];
        var back = RoundTrip(message);
        Assert.Equal(message.GetType(), back.GetType());
        // Records compare lists and byte arrays by reference: compare what they say instead.
        Assert.Equal(Describe(message), Describe(back));
    }

    [Fact]
    public void A_relayed_frame_crosses_as_its_own_bytes_behind_a_small_header()
    {
        var frame = Encoding.UTF8.GetBytes("""{"type":"offer","sdp":"v=0\r\n"}""");
        var bytes = Serializer.ToBinary(new SignalEvent("peer-a", SignalKind.Offer, frame));
        Assert.Equal(3 + "peer-a".Length + frame.Length, bytes.Length);
        Assert.Equal(frame, bytes[^frame.Length..]);
    }

    [Fact]
    public void Every_message_type_a_call_or_peer_exchanges_has_a_manifest()
    {
        var serializer = Serializer;
        var messageTypes = typeof(CallActor).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false, IsVisible: true } // an actor's private messages go only to itself
                && ProtocolSerializer.BoundTypes.Any(bound => bound.IsAssignableFrom(t)))
            .ToList();
        Assert.NotEmpty(messageTypes);
        var covered = SampleMessages(ActorRefs.Nobody).Values.Select(m => m.GetType()).ToHashSet();
        Assert.All(messageTypes, t => Assert.True(covered.Contains(t), $"{t.Name} has no sample in this test"));
        Assert.All(SampleMessages(ActorRefs.Nobody).Values, m => Assert.False(string.IsNullOrEmpty(serializer.Manifest(m))));
        Assert.Throws<ArgumentException>(() => serializer.Manifest(new GetCallCount()));
    }

    private static string Describe(object message) => System.Text.Json.JsonSerializer.Serialize(message, message.GetType(), DescribeOptions);

    private static readonly System.Text.Json.JsonSerializerOptions DescribeOptions = new() { Converters = { new RefAsPath() } };

    private sealed class RefAsPath : System.Text.Json.Serialization.JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
            throw new NotSupportedException();

        public override void Write(System.Text.Json.Utf8JsonWriter writer, IActorRef value, System.Text.Json.JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Path.ToStringWithUid());
    }
}
