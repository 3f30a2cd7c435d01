using Microsoft.Extensions.Logging;
using Orleans.Coordination.Server.Configuration;

namespace Orleans.Coordination.TestingHost;

/// <summary>
/// How a <see cref="TestCluster"/> is made: how many silos, the replication timing, where data goes and what is logged.
/// Build one with <see cref="TestClusterBuilder"/> or set the properties directly.
/// </summary>
public sealed class TestClusterOptions
{
    /// <summary>Voting silos (ids 1..Voters). 1 runs a standalone silo; 3 or 5 form an ensemble that survives 1 or 2 crashes.</summary>
    public int Voters { get; set; } = 3;

    /// <summary>Observers (ids after the voters): they replicate and serve clients but do not vote.</summary>
    public int Observers { get; set; }

    /// <summary>The replication tick in ms (<c>ensemble.tickMs</c>): heartbeats and failure detection count these.</summary>
    public int TickMs { get; set; } = 50;

    /// <summary>Ticks without the leader (or, on the leader, without a quorum) before a new election (<c>ensemble.syncLimit</c>).</summary>
    public int SyncLimit { get; set; } = 8;

    /// <summary>Ticks allowed for discovery and synchronisation with a new leader (<c>ensemble.initLimit</c>).</summary>
    public int InitLimit { get; set; } = 40;

    /// <summary>
    /// Directory under which each silo gets its data directory (<c>s1</c>, <c>s2</c>, ...). When null, a new directory
    /// under the system temp directory. The cluster's own directory is deleted on dispose unless <see cref="KeepDataDirectories"/>.
    /// </summary>
    public string? BaseDirectory { get; set; }

    /// <summary>Keep the data directories after dispose (to inspect a failure); they are deleted by default.</summary>
    public bool KeepDataDirectories { get; set; }

    /// <summary>
    /// Changes each silo's options before it starts (for example <c>TickTime</c> for session timeouts, or
    /// <c>SnapCount</c>). The cluster then sets <c>ServerId</c>, the ports, <c>DataDir</c> and <c>Ensemble</c> itself.
    /// </summary>
    public Action<SiloOptions>? ConfigureSilo { get; set; }

    /// <summary>
    /// Keep each silo's transaction log in an <see cref="Storage.Log.InMemoryLogFileSystem"/> (the default), so that
    /// <see cref="TestCluster.KillSiloAsync"/> loses what was not fsynced, as a power loss would. When false the log
    /// goes to the real disk under the data directory, and a kill loses nothing the operating system accepted.
    /// Snapshots and the epoch file are on disk either way.
    /// </summary>
    public bool UseInMemoryLogFileSystem { get; set; } = true;

    /// <summary>
    /// Where the silos' log lines go, one formatted line per record prefixed with the silo id (for example xunit's
    /// <c>ITestOutputHelper.WriteLine</c>). Null by default: silos log nowhere.
    /// </summary>
    public Action<string>? LogOutput { get; set; }

    /// <summary>The lowest level written to <see cref="LogOutput"/> and kept in <see cref="TestCluster.CapturedLog"/>.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Adds logging providers (any <see cref="ILoggerProvider"/>) to a silo; its server id is the first argument.</summary>
    public Action<int, ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>How many of the silos' most recent log lines <see cref="TestCluster.CapturedLog"/> keeps; 0 (the default) keeps none.</summary>
    public int CapturedLogLines { get; set; }

    /// <summary>The session timeout <see cref="TestCluster.CreateClientAsync"/> asks for unless told otherwise.</summary>
    public TimeSpan ClientSessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="TestCluster.StartAsync(TestClusterOptions, CancellationToken)"/> waits for a leader and for every silo to serve.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (Voters < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Voters), Voters, "a cluster needs at least one voting silo");
        }

        if (Observers < 0 || Voters + Observers > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(Observers), Observers, "observers must be 0 or more, and the cluster at most 255 silos");
        }

        if (Voters == 1 && Observers > 0)
        {
            throw new ArgumentException("observers need an ensemble: use at least 3 voters (a single voter runs standalone)", nameof(Observers));
        }

        if (TickMs < 1 || SyncLimit < 1 || InitLimit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TickMs), "TickMs, SyncLimit and InitLimit must be positive");
        }

        if (CapturedLogLines < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CapturedLogLines), CapturedLogLines, "must be 0 or more");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StartTimeout), StartTimeout, "must be positive");
        }
    }
}
