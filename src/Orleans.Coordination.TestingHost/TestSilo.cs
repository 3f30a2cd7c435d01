using Orleans.Coordination.Server;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.TestingHost;

/// <summary>
/// One silo of a <see cref="TestCluster"/>: its fixed identity (id, role, ports, data directory, log file system),
/// which outlives restarts, and the running <see cref="SiloHost"/> if any. Change its state through the cluster
/// (<see cref="TestCluster.KillSiloAsync"/>, <see cref="TestCluster.RestartSiloAsync"/>, <see cref="TestCluster.Pause"/>, ...).
/// </summary>
public sealed class TestSilo
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(1);
    private volatile SiloHost? _host;
    private volatile bool _paused;

    internal TestSilo(SiloOptions options, EnsembleRole role, int quorumPort, int electionPort, InMemoryLogFileSystem? logFileSystem)
    {
        Options = options;
        LogFileSystem = logFileSystem;
        Role = role;
        QuorumPort = quorumPort;
        ElectionPort = electionPort;
    }

    /// <summary>The silo's server id (voters 1..N, then observers).</summary>
    public int Id => Options.ServerId;

    /// <summary>Whether it votes or observes.</summary>
    public EnsembleRole Role { get; }

    /// <summary>Its client port on 127.0.0.1 (the same across restarts).</summary>
    public int ClientPort => Options.ClientPort;

    /// <summary>Its admin HTTP port on 127.0.0.1, or 0 when the admin endpoint is disabled.</summary>
    public int AdminPort => Options.AdminEnabled ? Options.AdminPort : 0;

    /// <summary>Its quorum (replication) port.</summary>
    public int QuorumPort { get; }

    /// <summary>Its election port.</summary>
    public int ElectionPort { get; }

    /// <summary>"127.0.0.1:clientPort", for a connection string that names only this silo.</summary>
    public string ClientEndpoint => $"127.0.0.1:{ClientPort}";

    /// <summary>Its data directory (snapshots and the epoch file; the log lives in <see cref="LogFileSystem"/>).</summary>
    public string DataDirectory => Options.DataDir;

    /// <summary>
    /// Its transaction log's files, in memory: kept across restarts, and a kill drops what was not fsynced
    /// (<see cref="InMemoryLogFileSystem.SimulateCrash"/>). Null when the cluster keeps logs on the real disk.
    /// </summary>
    public InMemoryLogFileSystem? LogFileSystem { get; }

    /// <summary>The options it runs with (do not change them while it runs).</summary>
    public SiloOptions Options { get; }

    /// <summary>The running host, or null when stopped: an escape hatch to the silo's internals.</summary>
    public SiloHost? Host => _host;

    /// <summary>Whether it runs (paused or not).</summary>
    public bool IsRunning => _host is not null;

    /// <summary>Whether it is paused.</summary>
    public bool IsPaused => _host is not null && _paused;

    /// <summary>Whether it runs, is paused, or is stopped.</summary>
    public SiloState State => _host is null ? SiloState.Stopped : _paused ? SiloState.Paused : SiloState.Running;

    /// <summary>
    /// Reads the silo's replication view and tree digest on its apply thread. A stopped or paused silo, or one that
    /// does not answer within a second, reports no view (see <see cref="SiloStatus.Mode"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<SiloStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var host = _host;
        if (host is null)
        {
            return new SiloStatus(Id, SiloState.Stopped, null, null, null);
        }

        if (_paused)
        {
            return new SiloStatus(Id, SiloState.Paused, null, null, null);
        }

        try
        {
            // A killed silo's loop may never run the read: the wait is bounded.
            var (view, digest, zxid) = await host.Core.InvokeAsync(() => (host.Core.Replication, host.Core.Tree.Digest, host.Core.Tree.LastZxid))
                .WaitAsync(StatusTimeout, cancellationToken).ConfigureAwait(false);
            return new SiloStatus(Id, SiloState.Running, view, digest, zxid);
        }
        catch (TimeoutException)
        {
            return new SiloStatus(Id, _host is null ? SiloState.Stopped : SiloState.Running, null, null, null);
        }
    }

    /// <summary>The silo's mode now ("leader", "follower", "observer", "looking", "standalone", "stopped", "paused", "unresponsive").</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<string> GetModeAsync(CancellationToken cancellationToken = default) =>
        (await GetStatusAsync(cancellationToken).ConfigureAwait(false)).Mode;

    /// <inheritdoc />
    public override string ToString() => $"silo {Id} ({(Role == EnsembleRole.Voter ? "voter" : "observer")}, {ClientEndpoint}, {State})";

    internal void Started(SiloHost host)
    {
        _paused = false;
        _host = host;
    }

    internal SiloHost? Stopped()
    {
        var host = _host;
        _host = null;
        _paused = false;
        return host;
    }

    internal void SetPaused(bool paused) => _paused = paused;

    /// <summary>Peers this silo is partitioned from; kept here because a restart builds a new core with open links.</summary>
    internal HashSet<int> BlockedPeers { get; } = [];
}
