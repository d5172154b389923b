using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace Zvonim.Actors.Cluster;

/// <summary>
/// Stops this node once another node has quarantined it. That happens when the others removed it from the cluster
/// (downed after a pause they took for a crash: a long GC, a frozen VM) and will never take it back as it is. Left
/// running, such a node takes the others for unreachable and, on its own, downs them: a second cluster of one, with
/// its own copies of calls. Akka.NET does not stop it by itself, so this does, under the cluster's downing reason,
/// which the process reports in its exit code (a service manager starts it again, and it rejoins afresh).
/// </summary>
public sealed class QuarantineGuard : ReceiveActor
{
    public const string Name = "quarantine-guard";

    public QuarantineGuard()
    {
        Receive<ThisActorSystemQuarantinedEvent>(quarantined =>
        {
            Context.GetLogger().Error("Node {Remote} has quarantined this node: the cluster removed it. It stops, and rejoins when started again",
                quarantined.RemoteAddress);
            CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
}
