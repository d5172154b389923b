using Akka.Actor;
using Akka.Event;
using Zvonim.Actors.Calls;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// Brings every call that has a record to life once in a while, so that records do not outlive their calls. A call
/// whose node died comes back on another node only when a participant re-attaches; one that nobody came back to kept
/// its record (and, in PostgreSQL, its row) for good. Asked after itself (<see cref="GetCall"/>, through the shard
/// region), such a call is restored from its record and ends as any call does: its participants' graces run out, it
/// ends, is retained, and its record goes. A call that is running anyway just answers. Only the oldest node of the
/// cluster sweeps; the others' ticks do nothing.
/// </summary>
public sealed class RecordSweeper : UntypedActor, IWithTimers
{
    public const string Name = "record-sweeper";

    /// <summary>Calls asked after per second of a sweep: a node back from a crash with many records restores them at
    /// this pace, not at once.</summary>
    public const int PerSecond = 200;

    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    /// <summary>How long the store may take to list the records before this sweep is given up (the next one asks again).</summary>
    public static readonly TimeSpan ListTimeout = TimeSpan.FromMinutes(1);

    private readonly IActorRef _store;
    private readonly IActorRef _calls;
    private readonly TimeSpan _interval;
    private readonly Func<bool> _sweepsHere;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<string> _toAsk = new();
    private bool _listing;

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed class Sweep : INoSerializationVerificationNeeded
    {
        public static readonly Sweep Instance = new();
    }

    private sealed class AskMore : INoSerializationVerificationNeeded
    {
        public static readonly AskMore Instance = new();
    }

    private sealed class ListingTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly ListingTimedOut Instance = new();
    }

    /// <param name="store">The node's <see cref="CallStore"/> (or SQL store), which lists the records.</param>
    /// <param name="calls">Where call commands go (the node's <see cref="ShardedCalls"/>).</param>
    /// <param name="sweepsHere">Whether this node is the one that sweeps now (the oldest member that is up).</param>
    public static Props Props(IActorRef store, IActorRef calls, TimeSpan interval, Func<bool> sweepsHere) =>
        ActorFactory.Props(() => new RecordSweeper(store, calls, interval, sweepsHere));

    public RecordSweeper(IActorRef store, IActorRef calls, TimeSpan interval, Func<bool> sweepsHere)
    {
        _store = store;
        _calls = calls;
        _interval = interval;
        _sweepsHere = sweepsHere;
    }

    /// <summary>The oldest member of the cluster that is up, as this node sees it, sweeps.</summary>
    public static Func<bool> OldestNode(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        return () =>
        {
            var up = cluster.State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up).ToList();
            return up.Count > 0 && up.Aggregate((a, b) => b.IsOlderThan(a) ? b : a).UniqueAddress.Equals(cluster.SelfUniqueAddress);
        };
    }

    protected override void PreStart() => Timers.StartPeriodicTimer(Sweep.Instance, Sweep.Instance, _interval);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Sweep:
                if (_listing || _toAsk.Count > 0 || !_sweepsHere()) break; // the last sweep is still going
                _listing = true;
                _store.Tell(ListCalls.Instance, Self);
                // A store that failed on the request (and restarted) never answers: this node must not stop sweeping.
                Timers.StartSingleTimer(ListingTimedOut.Instance, ListingTimedOut.Instance, ListTimeout);
                break;
            case ListingTimedOut:
                if (_listing) _log.Warning("The call store did not list its records within {Timeout}; the next sweep asks again", ListTimeout);
                _listing = false;
                break;
            case CallsListed when !_listing:
                break; // late, after its sweep was given up
            case CallsListed { Failed: true }:
                _listing = false; // logged by the store; the next sweep tries again
                Timers.Cancel(ListingTimedOut.Instance);
                break;
            case CallsListed listed:
                _listing = false;
                Timers.Cancel(ListingTimedOut.Instance);
                _log.Info("Sweeping {Count} call records: each call is asked after, and one that nobody runs ends by its own rules", listed.CallIds.Count);
                foreach (var callId in listed.CallIds) _toAsk.Enqueue(callId);
                AskSome();
                break;
            case AskMore:
                AskSome();
                break;
            case ICallReply:
                break; // running, restored, or gone meanwhile: the call itself does the rest
            default:
                Unhandled(message);
                break;
        }
    }

    private void AskSome()
    {
        for (var i = 0; i < PerSecond && _toAsk.TryDequeue(out var callId); i++) _calls.Tell(new GetCall(callId), Self);
        if (_toAsk.Count > 0) Timers.StartSingleTimer(AskMore.Instance, AskMore.Instance, Step);
    }
}
