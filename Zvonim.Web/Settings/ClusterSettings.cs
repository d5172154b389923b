namespace Zvonim.Web.Settings;

/// <summary>
/// The "Zvonim:Cluster" section: off by default (one node, no remoting port). On, the node joins an Akka.Cluster of
/// Zvonim nodes through <see cref="SeedNodes"/>, and every call lives on one node of it, found by its id (Cluster.Sharding).
/// Everything else about the cluster (failure detection, split-brain resolver, sharding) is in <c>hocon/cluster.hocon</c>.
/// </summary>
public sealed class ClusterSettings
{
    public bool Enabled { get; set; }

    /// <summary>The address other nodes reach this one at.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The remoting port (TCP) on <see cref="Hostname"/>.</summary>
    public int Port { get; set; } = 4053;

    /// <summary>Nodes to join through, as <c>host:port</c>; the first node lists itself first.</summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>How often the oldest node asks after every call that has a record, so that the records of calls whose
    /// node died and that nobody came back to end and go (see <c>RecordSweeper</c>).</summary>
    public TimeSpan RecordSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Parses <c>host:port</c>; null if it is not one.</summary>
    public static (string Host, int Port)? ParseEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out var port) || port is < 1 or > 65535) return null;
        var host = endpoint[..colon].Trim('[', ']');
        return Uri.CheckHostName(host) == UriHostNameType.Unknown ? null : (host, port);
    }
}
