using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server.Quorum;

/// <summary>
/// The silo's two peer transports: election notifications travel on the election port, everything else (discovery,
/// synchronisation, proposals, forwarded requests) on the quorum port, as in ZooKeeper, so that a leader busy
/// streaming proposals never delays a vote.
/// </summary>
public sealed class PeerNetwork : IPeerNetwork, IAsyncDisposable
{
    private PeerNetwork(PeerTransport quorum, PeerTransport election, EnsembleMemberOptions self)
    {
        Quorum = quorum;
        Election = election;
        Self = self;
    }

    /// <summary>The transport behind the quorum port.</summary>
    public PeerTransport Quorum { get; }

    /// <summary>The transport behind the election port.</summary>
    public PeerTransport Election { get; }

    /// <summary>This silo's entry in the member list.</summary>
    public EnsembleMemberOptions Self { get; }

    /// <summary>Creates both transports; every message received goes to <paramref name="core"/>.</summary>
    public static PeerNetwork Create(SiloOptions options, SiloCore core, ILogger logger)
    {
        var members = options.Ensemble.Members;
        var self = members.Single(m => m.Id == options.ServerId);
        var clusterId = ClusterIdOf(members);
        var quorum = new PeerTransport(options.ServerId, clusterId, members.Select(m => new PeerAddress(m.Id, m.Host, m.QuorumPort)), core.DeliverPeerMessage, logger, core.PeerDisconnected);
        var election = new PeerTransport(options.ServerId, clusterId, members.Select(m => new PeerAddress(m.Id, m.Host, m.ElectionPort)), core.DeliverPeerMessage, logger);
        return new PeerNetwork(quorum, election, self);
    }

    /// <summary>The address a member's ports bind to: its host when that is an IP address, else every interface.</summary>
    public static IPAddress BindAddress(EnsembleMemberOptions member) =>
        IPAddress.TryParse(member.Host, out var ip) ? ip : IPAddress.Any;

    /// <summary>
    /// Identifies the ensemble from its member list (ids, hosts, ports, roles), so that silos configured for another
    /// ensemble cannot join this one by accident.
    /// </summary>
    public static long ClusterIdOf(IEnumerable<EnsembleMemberOptions> members)
    {
        var text = string.Join(",", members.OrderBy(m => m.Id).Select(m => (m with { ClientPort = 0 }).ToString()));
        return BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <inheritdoc />
    public void Send(int serverId, byte[] message, bool election) => (election ? Election : Quorum).Send(serverId, message);

    /// <inheritdoc />
    public bool IsConnected(int serverId) => Quorum.ConnectedPeers.Contains(serverId);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Quorum.DisposeAsync();
        await Election.DisposeAsync();
    }
}
