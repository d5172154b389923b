using System.Runtime.Serialization;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Serialization;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Cluster;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Serialization;
using Zvonim.Tests.TestKit;
using ShardPassivate = Akka.Cluster.Sharding.Passivate;

namespace Zvonim.Tests.Cluster;

/// <summary>
/// A call's whole life as a cluster runs it (a sharded <see cref="CallEntity"/>, its record in the store, sockets'
/// <see cref="PeerActor"/>s) under <c>serialize-messages = on</c>: every message between actors is serialized and read
/// back before delivery, and anything not bound to <see cref="ProtocolSerializer"/> meets a serializer that refuses
/// it instead of Akka's Newtonsoft fallback. A message type added without a serializer, or one that does not survive
/// the trip, fails here. (The real cluster cannot run this way: Akka's own DistributedData messages are not meant to be
/// serialized locally.)
/// </summary>
public sealed class SerializeMessagesTests(ITestOutputHelper output) : VirtualTimeTestKit(SerializeEverything, output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static readonly RoomPolicy TwoParty = Policies.TwoParty;

    private static Config SerializeEverything
    {
        get
        {
            static string Name(Type t) => $"\"{t.FullName}, {t.Assembly.GetName().Name}\"";
            var bindings = string.Join("\n", ProtocolSerializer.BoundTypes.Select(t => $"{Name(t)} = zvonim"));
            return ConfigurationFactory.ParseString($$"""
                akka.actor {
                  serialize-messages = on
                  serializers {
                    zvonim = "{{typeof(ProtocolSerializer).FullName}}, Zvonim.Actors"
                    refuse = "{{typeof(RefusingSerializer).FullName}}, Zvonim.Tests"
                  }
                  serialization-bindings {
                    "System.Object" = refuse
                    {{bindings}}
                  }
                }
                """);
        }
    }

    [Fact]
    public void A_message_with_no_serializer_of_ours_is_refused_and_never_delivered()
    {
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Error));
        var anyone = CreateTestProbe();
        anyone.Ref.Tell(new NotForTheWire("x"));
        var error = errors.ExpectMsg<Error>(Patience);
        Assert.Contains($"{nameof(NotForTheWire)} has no serializer", error.Cause?.ToString());
        anyone.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_call_is_created_joined_relayed_lost_restored_and_ended_with_every_message_serialized()
    {
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Error));
        var store = Sys.ActorOf(Props.Create(() => new RecordStore()), CallStore.Name);
        var region = Sys.ActorOf(Props.Create(() => new Region()), "calls");
        var client = CreateTestProbe("client");

        var callId = "call-serialized";
        client.Send(region, new StartCall(callId, new CreateCall(TwoParty, new JoinAs("Ann"))));
        var created = client.ExpectMsg<CallCreated>(Patience);
        client.Send(region, new JoinCall(callId, "Bob"));
        var joined = client.ExpectMsg<CallJoined>(Patience);

        var a = new RecordingConnection();
        var b = new RecordingConnection();
        var peerA = Sys.ActorOf(PeerActor.Props(new AttachPeer(callId, created.PeerId), region, a, pendingLimit: 16, attachRetry: TimeSpan.FromSeconds(1)));
        await a.ExpectAsync<WelcomeEvent>();
        // B's first request to be admitted is lost on the way, as it can be while a node fails: B asks again.
        client.Send(region, new LoseNextAttach());
        var peerB = Sys.ActorOf(PeerActor.Props(new AttachPeer(callId, joined.PeerId), region, b, pendingLimit: 16, attachRetry: TimeSpan.FromSeconds(1)));
        client.ExpectMsg<AttachLost>(Patience);
        Time.Advance(TimeSpan.FromSeconds(1));
        await b.ExpectAsync<WelcomeEvent>();
        // Ann hears of Bob from the call, and his answer comes straight from his actor: the two can pass each other, so
        // the news is awaited here, or a late one would pass below for news of the restored call.
        await a.ExpectAsync<StateEvent>(s => s.Snapshot.ConnectedCount == 2);
        await RelayAsync(peerA, b, "offer from Ann");
        await RelayAsync(peerB, a, "answer from Bob");

        // The node running the call is lost: the entity goes, and the next command finds the call's record.
        region.Tell(new LoseEntity(callId));
        await a.ExpectAsync<StateEvent>(s => s.Snapshot.ConnectedCount == 2); // both re-attached to the restored call
        await RelayAsync(peerA, b, "offer after the restore");
        client.Send(region, new GetCall(callId));
        Assert.Equal(2, client.ExpectMsg<CallInfo>(Patience).Snapshot.ConnectedCount);

        peerB.Tell(new ClientLeave());
        await a.ExpectAsync<PeerLeftEvent>();
        client.Send(region, new GetCall(callId));
        Assert.Equal(CallStatus.Ended, client.ExpectMsg<CallInfo>(Patience).Snapshot.Status);

        // Its retention over, the call retires: record forgotten, entity passivated, the id unknown.
        Time.Advance(TwoParty.EndedRetention);
        await AwaitAssertAsync(() =>
        {
            client.Send(region, new GetCall(callId));
            Assert.Equal(Refusal.NotFound, client.ExpectMsg<CallRefused>(TimeSpan.FromSeconds(1)).Reason);
        }, Patience);
        errors.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private static async Task RelayAsync(IActorRef from, RecordingConnection to, string sdp)
    {
        var frame = System.Text.Encoding.UTF8.GetBytes($$"""{"type":"offer","sdp":"{{sdp}}"}""");
        from.Tell(new ClientSignal(SignalKind.Offer, null, frame));
        var relayed = await to.ExpectAsync<SignalEvent>();
        Assert.Equal(frame, relayed.Frame);
    }

    private sealed record NotForTheWire(string What);

    private sealed record LoseEntity(string CallId) : INoSerializationVerificationNeeded;

    private sealed record LoseNextAttach : INoSerializationVerificationNeeded;

    private sealed record AttachLost : INoSerializationVerificationNeeded;

    /// <summary>Plays a shard region on one node: an entity per id, made on first use, stopped when it passivates.</summary>
    private sealed class Region : UntypedActor
    {
        private IActorRef? _loseNextAttach; // told when it is lost
        private readonly Dictionary<string, List<(object Command, IActorRef Sender)>> _stopping = []; // held until gone, as a shard does

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case LoseNextAttach:
                    _loseNextAttach = Sender;
                    break;
                case AttachPeer when _loseNextAttach is { } told:
                    _loseNextAttach = null;
                    told.Tell(new AttachLost());
                    break;
                case ICallCommand command when _stopping.TryGetValue(Uri.EscapeDataString(command.CallId), out var held):
                    held.Add((command, Sender));
                    break;
                case Terminated terminated when _stopping.Remove(terminated.ActorRef.Path.Name, out var waiting):
                    foreach (var (command, sender) in waiting) Self.Tell(command, sender);
                    break;
                case ICallCommand command:
                    var name = Uri.EscapeDataString(command.CallId);
                    var entity = Context.Child(name);
                    if (entity.IsNobody()) entity = Context.ActorOf(CallEntity.Props(command.CallId), name);
                    entity.Forward(command);
                    break;
                case ShardPassivate passivate:
                    Sender.Tell(passivate.StopMessage);
                    break;
                case LoseEntity lose:
                    var lost = Context.Child(Uri.EscapeDataString(lose.CallId));
                    _stopping[lost.Path.Name] = [];
                    Context.Watch(lost);
                    Context.Stop(lost);
                    break;
            }
        }
    }

    /// <summary>Plays the replicated store: each record kept as the bytes another node would receive.</summary>
    private sealed class RecordStore : UntypedActor
    {
        private readonly Dictionary<string, (byte[] Bytes, string Manifest)> _records = [];
        private readonly Akka.Serialization.Serialization _serialization = Context.System.Serialization;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case SaveCall save:
                    var serializer = _serialization.FindSerializerFor(save.Record);
                    Assert.IsType<ProtocolSerializer>(serializer);
                    _records[save.Record.CallId] = (serializer.ToBinary(save.Record), Akka.Serialization.Serialization.ManifestFor(serializer, save.Record));
                    break;
                case ForgetCall forget:
                    _records.Remove(forget.CallId);
                    break;
                case LoadCall load:
                    var record = _records.TryGetValue(load.CallId, out var kept)
                        ? (CallRecord)_serialization.Deserialize(kept.Bytes, ProtocolSerializer.SerializerId, kept.Manifest)
                        : null;
                    Sender.Tell(new CallLoaded(load.CallId, record));
                    break;
            }
        }
    }

    /// <summary>A socket stand-in that records what its PeerActor writes, without more actor messages.</summary>
    private sealed class RecordingConnection : IPeerConnection
    {
        private readonly Channel<PeerEvent> _events = Channel.CreateUnbounded<PeerEvent>();

        public void Send(PeerEvent peerEvent) => _events.Writer.TryWrite(peerEvent);

        public void PauseReading(bool paused)
        {
        }

        public void Close(CloseReason reason, string message, Refusal? refusal = null) => _events.Writer.TryComplete();

        public async Task<T> ExpectAsync<T>(Func<T, bool>? where = null) where T : PeerEvent
        {
            using var timeout = new CancellationTokenSource(Patience);
            while (true)
            {
                var next = await _events.Reader.ReadAsync(timeout.Token);
                if (next is T wanted && (where is null || where(wanted))) return wanted;
            }
        }
    }
}

/// <summary>
/// Stands where Akka's Newtonsoft fallback would. A Zvonim message that reaches it has no serializer of ours, and is
/// refused. Akka's own messages (its system guardian's, for one) are Akka's business: they pass, as the same object.
/// </summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<long, object> Passing = new();
    private static long _next;

    public override int Identifier => 4822;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        if (obj.GetType().Assembly.GetName().Name?.StartsWith("Zvonim", StringComparison.Ordinal) == true)
        {
            throw new SerializationException(
                $"{obj.GetType()} has no serializer: bind it to ProtocolSerializer if it crosses nodes, or mark it " +
                "INoSerializationVerificationNeeded if it never leaves its node.");
        }
        var id = Interlocked.Increment(ref _next);
        Passing[id] = obj;
        return BitConverter.GetBytes(id);
    }

    public override object FromBinary(byte[] bytes, Type type) =>
        Passing.TryRemove(BitConverter.ToInt64(bytes), out var obj) ? obj : throw new SerializationException("not written here");
}
