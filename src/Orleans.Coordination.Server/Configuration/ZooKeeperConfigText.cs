using System.Globalization;
using System.Text;

namespace Orleans.Coordination.Server.Configuration;

/// <summary>
/// The content of /zookeeper/config for an ensemble, in Apache ZooKeeper's format (QuorumMaj.toString with
/// QuorumServer.toString for each member):
/// <code>
/// server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181
/// server.3=10.0.0.3:2888:3888:observer
/// version=0
/// </code>
/// One line per member, then <c>version=</c> and the configuration's version in hex, with no newline after it.
/// </summary>
public static class ZooKeeperConfigText
{
    /// <summary>
    /// The configuration's version. ZooKeeper numbers a configuration by the zxid of the reconfig that made it; with
    /// reconfig disabled (its default, and the only mode an ensemble of silos has) a static configuration keeps
    /// version 0, and so does the mzxid of /zookeeper/config.
    /// </summary>
    public const long StaticVersion = 0;

    /// <summary>
    /// The bytes of /zookeeper/config for this silo's <paramref name="ensemble"/>, or null for a standalone silo (no
    /// member list, or only one member), whose /zookeeper/config stays empty as in ZooKeeper standalone.
    /// </summary>
    public static byte[]? For(EnsembleOptions ensemble) =>
        ensemble.IsReplicated ? Encoding.UTF8.GetBytes(Format(ensemble.Members, StaticVersion)) : null;

    /// <summary>
    /// The text for <paramref name="members"/>, in ascending id order. (ZooKeeper prints its members in HashMap order,
    /// which is ascending for the small ids ensembles use; a sorted list keeps every silo's text identical anyway.)
    /// </summary>
    public static string Format(IEnumerable<EnsembleMemberOptions> members, long version)
    {
        var sb = new StringBuilder();
        foreach (var m in members.OrderBy(m => m.Id))
        {
            sb.Append(CultureInfo.InvariantCulture, $"server.{m.Id}={Member(m)}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"version={version:x}");
        return sb.ToString();
    }

    /// <summary>
    /// QuorumServer.toString: <c>host:quorumPort:electionPort:participant|observer</c>, then <c>;host:clientPort</c>
    /// when the member list gives a client port. A member names only the port, which ZooKeeper reads as 0.0.0.0:port.
    /// </summary>
    private static string Member(EnsembleMemberOptions m)
    {
        var role = m.Role == EnsembleRole.Observer ? "observer" : "participant";
        var text = $"{Host(m.Host)}:{m.QuorumPort.ToString(CultureInfo.InvariantCulture)}:{m.ElectionPort.ToString(CultureInfo.InvariantCulture)}:{role}";
        return m.ClientPort > 0 ? $"{text};0.0.0.0:{m.ClientPort.ToString(CultureInfo.InvariantCulture)}" : text;
    }

    /// <summary>QuorumServer.delimitedHostString: an IPv6 literal goes in brackets.</summary>
    private static string Host(string host)
    {
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return bare.Contains(':', StringComparison.Ordinal) ? $"[{bare}]" : bare;
    }
}
