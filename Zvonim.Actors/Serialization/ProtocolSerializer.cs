using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Media;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Users;

namespace Zvonim.Actors.Serialization;

/// <summary>
/// How Zvonim's messages cross nodes in a cluster. A relayed frame (<see cref="SignalEvent"/>, the only message on the
/// hot path) is written as its raw bytes behind a few header bytes, never re-encoded; the control messages (a few per
/// call) are JSON with a short manifest per type, with actor references as Akka's serialized paths. Akka's fallback
/// (Newtonsoft JSON with type names) is never used for them: every type here is listed, and one that is not fails loudly.
/// </summary>
public sealed class ProtocolSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 4821;

    private const string SignalManifest = "sig";

    /// <summary>Every control message that may cross nodes, under a manifest that must never change meaning.</summary>
    private static readonly (string Manifest, Type Type)[] Types =
    [
        ("create", typeof(CreateCall)), ("start", typeof(StartCall)), ("get", typeof(GetCall)), ("join", typeof(JoinCall)),
        ("leave", typeof(LeaveCall)), ("attach", typeof(AttachPeer)),
        ("created", typeof(CallCreated)), ("joined", typeof(CallJoined)), ("left", typeof(CallLeft)), ("info", typeof(CallInfo)),
        ("refused", typeof(CallRefused)), ("admitted", typeof(PeerAdmitted)),
        ("m-joined", typeof(MemberJoined)), ("p-conn", typeof(PeerConnected)), ("p-disc", typeof(PeerDisconnected)),
        ("m-left", typeof(MemberLeft)), ("p-cong", typeof(PeerCongestion)), ("state", typeof(CallStateChanged)),
        ("ended", typeof(CallEnded)), ("superseded", typeof(Superseded)), ("removed", typeof(RemovedFromCall)),
        ("c-signal", typeof(ClientSignal)), ("c-hello", typeof(ClientHello)), ("c-leave", typeof(ClientLeave)),
        ("s-closed", typeof(SocketClosed)), ("s-cong", typeof(SocketCongestion)),
        ("record", typeof(CallRecord)), // a call's replicated state (CallStore)
        // Signed-in users (seed 002): presence, lines, rings, and what a device's socket says.
        ("u-register", typeof(RegisterDevice)), ("u-registered", typeof(DeviceRegistered)), ("u-claim", typeof(ClaimLine)),
        ("u-claimed", typeof(LineClaimed)), ("u-busy", typeof(LineBusy)), ("u-release", typeof(ReleaseLine)), ("u-ring", typeof(RingUser)),
        ("u-rang", typeof(Rang)), ("u-tell", typeof(TellUser)), ("u-get", typeof(GetPresence)), ("u-presence", typeof(Presence)),
        ("u-incoming", typeof(IncomingCall)), ("u-answered", typeof(CallAnswered)), ("u-elsewhere", typeof(AnsweredElsewhere)),
        ("u-over", typeof(CallOver)), ("d-signal", typeof(DeviceSignal)), ("d-answer", typeof(DeviceAnswer)), ("d-hangup", typeof(DeviceHangUp)),
        // Seed 001: a socket's actor and the room and session that hold its media, wherever they are.
        ("mr-join", typeof(JoinMediaRoom)), ("mr-evict", typeof(EvictFromRoom)), ("mr-joined", typeof(MediaRoomJoined)),
        ("ms-join", typeof(SessionJoin)), ("ms-offer", typeof(SessionOffer)), ("ms-answer", typeof(SessionAnswer)),
        ("ms-leave", typeof(SessionLeave)), ("ms-describe", typeof(DescribeToSocket)), ("ms-error", typeof(ErrorToSocket)),
        ("ms-close", typeof(CloseSocket)),
    ];

    /// <summary>What the serializer is bound to: every message that may cross nodes is one of these. Messages that never
    /// leave their node (timers, the node's own store) say so with <see cref="INoSerializationVerificationNeeded"/>.</summary>
    public static readonly Type[] BoundTypes =
        [typeof(ICallCommand), typeof(ICallReply), typeof(IPeerMessage), typeof(CreateCall), typeof(CallRecord), typeof(IUserCommand), typeof(IUserReply),
         typeof(IMediaRoomCommand), typeof(ISessionMessage), typeof(ISocketCommand)];

    private static readonly Dictionary<Type, string> ManifestOf = Types.ToDictionary(t => t.Type, t => t.Manifest);
    private static readonly Dictionary<string, Type> TypeOf = Types.ToDictionary(t => t.Manifest, t => t.Type, StringComparer.Ordinal);

    private readonly JsonSerializerOptions _json;

    public ProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
        _json = new JsonSerializerOptions { Converters = { new ActorRefConverter(system) } };
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o is SignalEvent
        ? SignalManifest
        : ManifestOf.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} is not a message Zvonim sends between nodes.");

    public override byte[] ToBinary(object obj) => obj switch
    {
        SignalEvent signal => WriteSignal(signal),
        _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _json),
    };

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == SignalManifest) return ReadSignal(bytes);
        if (!TypeOf.TryGetValue(manifest, out var type)) throw new SerializationException($"Unknown Zvonim manifest '{manifest}'.");
        return JsonSerializer.Deserialize(bytes, type, _json) ?? throw new SerializationException($"Empty '{manifest}' message.");
    }

    /// <summary>[kind: 1][sender id length: 2][sender id: UTF-8][the frame as the client sent it].</summary>
    private static byte[] WriteSignal(SignalEvent signal)
    {
        var idLength = Encoding.UTF8.GetByteCount(signal.FromPeerId);
        var bytes = new byte[3 + idLength + signal.Frame.Length];
        bytes[0] = (byte)signal.Kind;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), checked((ushort)idLength));
        Encoding.UTF8.GetBytes(signal.FromPeerId, bytes.AsSpan(3));
        signal.Frame.CopyTo(bytes.AsSpan(3 + idLength));
        return bytes;
    }

    private static SignalEvent ReadSignal(byte[] bytes)
    {
        var idLength = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(1));
        var from = Encoding.UTF8.GetString(bytes, 3, idLength);
        return new SignalEvent(from, (SignalKind)bytes[0], bytes.AsSpan(3 + idLength).ToArray());
    }

    /// <summary>An actor reference as its full path with address, resolved back on the receiving node.</summary>
    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            system.Provider.ResolveActorRef(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}
