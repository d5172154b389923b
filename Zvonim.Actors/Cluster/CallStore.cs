using Akka.Actor;
using Akka.DistributedData;
using Zvonim.Actors.Calls;

namespace Zvonim.Actors.Cluster;

// The store's messages never leave their node (each node has its CallStore, whose replicator does the crossing, with
// the record serialized by ProtocolSerializer).

/// <summary>Keeps <paramref name="Record"/> as the call's latest state (fire and forget).</summary>
public sealed record SaveCall(CallRecord Record) : INoSerializationVerificationNeeded;

/// <summary>The call is retired: its record goes.</summary>
public sealed record ForgetCall(string CallId) : INoSerializationVerificationNeeded;

/// <summary>Asks for a call's record; answered with <see cref="CallLoaded"/>.</summary>
public sealed record LoadCall(string CallId) : INoSerializationVerificationNeeded;

/// <param name="Record">The call's record; null when there is none (an id never started, or a call retired).</param>
/// <param name="Failed">The store could not be read (no majority in time, the database down): whether the call exists
/// is not known, and the asker should not take it for gone.</param>
public sealed record CallLoaded(string CallId, CallRecord? Record, bool Failed = false) : INoSerializationVerificationNeeded;

/// <summary>Asks for the ids of every call that has a record; answered with <see cref="CallsListed"/>.</summary>
public sealed record ListCalls : INoSerializationVerificationNeeded
{
    public static readonly ListCalls Instance = new();
}

/// <param name="Failed">The store could not be read: the list is empty, and says nothing.</param>
public sealed record CallsListed(IReadOnlyList<string> CallIds, bool Failed = false) : INoSerializationVerificationNeeded;

/// <summary>Asks a store that gathers its writes to write what it has, and everything told to it before this, now;
/// answered with <see cref="StoreDrained"/>.</summary>
public sealed record DrainStore : INoSerializationVerificationNeeded
{
    public static readonly DrainStore Instance = new();
}

public sealed record StoreDrained : INoSerializationVerificationNeeded
{
    public static readonly StoreDrained Instance = new();
}

/// <summary>
/// Every call's <see cref="CallRecord"/>, replicated to all nodes with Akka.DistributedData (in memory, written to and
/// read from a majority of the nodes). When a node dies, the calls it ran come back on another
/// node from their records, as their participants re-attach. Records are spread over a few keys so that one change
/// gossips a fraction of them.
/// </summary>
public sealed class CallStore : UntypedActor
{
    public const string Name = "call-store";

    private const int Keys = 32;

    private static readonly WriteMajority Majority = new(TimeSpan.FromSeconds(3));
    private static readonly ReadMajority ReadMajorityOfNodes = new(TimeSpan.FromSeconds(3));

    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Akka.Cluster.UniqueAddress _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;

    public static Props Props() => ActorFactory.Props(() => new CallStore());

    /// <summary>The same key on every node: string.GetHashCode differs per process, so a hash of our own.</summary>
    private static LWWDictionaryKey<string, CallRecord> KeyOf(string callId)
    {
        var hash = 17u;
        foreach (var c in callId) hash = hash * 31 + c;
        return Key((int)(hash % Keys));
    }

    private static LWWDictionaryKey<string, CallRecord> Key(int index) => new($"calls-{index}");

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SaveCall save:
                _replicator.Tell(Dsl.Update(KeyOf(save.Record.CallId), LWWDictionary<string, CallRecord>.Empty, Majority,
                    records => records.SetItem(_self, save.Record.CallId, save.Record)));
                break;
            case ForgetCall forget:
                _replicator.Tell(Dsl.Update(KeyOf(forget.CallId), LWWDictionary<string, CallRecord>.Empty, Majority,
                    records => records.Remove(_self, forget.CallId)));
                break;
            case LoadCall load:
                var asker = Sender;
                var key = KeyOf(load.CallId);
                // From a majority, not this node's replica: a node that has just (re)joined may not have been told yet.
                _replicator.Ask<IGetResponse>(Dsl.Get(key, ReadMajorityOfNodes), TimeSpan.FromSeconds(5))
                    .ContinueWith(t => t switch
                    {
                        { IsCompletedSuccessfully: true, Result: GetSuccess found } =>
                            new CallLoaded(load.CallId, found.Get(key).TryGetValue(load.CallId, out var record) ? record : null),
                        { IsCompletedSuccessfully: true, Result: NotFound } => new CallLoaded(load.CallId, null), // no call in that key at all
                        _ => new CallLoaded(load.CallId, null, Failed: true), // no majority in time
                    }, TaskScheduler.Default)
                    .PipeTo(asker);
                break;
            case ListCalls:
                // This node's replica: the sweep that asks comes back, and what it misses now it finds next time.
                var lister = Sender;
                Task.WhenAll(Enumerable.Range(0, Keys).Select(k => _replicator.Ask<IGetResponse>(
                        Dsl.Get(Key(k), ReadLocal.Instance), TimeSpan.FromSeconds(5))))
                    .ContinueWith(t => t.IsCompletedSuccessfully
                        ? new CallsListed([.. t.Result.OfType<GetSuccess>().SelectMany(found =>
                            found.Get((LWWDictionaryKey<string, CallRecord>)found.Key).Keys)])
                        : new CallsListed([], Failed: true), TaskScheduler.Default)
                    .PipeTo(lister);
                break;
            case UpdateSuccess or IUpdateFailure:
                break; // a write that did not reach a majority still gossips on; nothing to do for it here
            default:
                Unhandled(message);
                break;
        }
    }
}
