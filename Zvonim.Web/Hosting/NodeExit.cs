using Akka.Actor;

namespace Zvonim.Web.Hosting;

/// <summary>
/// The process's exit code. A node the cluster removed (the split-brain resolver downed it after a pause the others
/// took for a crash, or it could not join) stops by itself; it exits with <see cref="RemovedFromCluster"/> rather than
/// 0, so that a service manager that restarts failed services (the shipped systemd unit: <c>Restart=on-failure</c>)
/// starts it again and it rejoins. A stop that was asked for (SIGTERM) still exits 0.
/// </summary>
public sealed class NodeExit
{
    public const int RemovedFromCluster = 3;

    private volatile bool _removed;

    public int Code => _removed ? RemovedFromCluster : 0;

    /// <summary>The host is stopping: if the actor system's shutdown was started by the cluster, the node was
    /// removed. Returns whether it was.</summary>
    public bool Stopping(CoordinatedShutdown.Reason? reason) =>
        _removed = reason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason;
}
