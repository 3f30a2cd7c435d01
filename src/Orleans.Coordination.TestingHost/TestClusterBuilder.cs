using Microsoft.Extensions.Logging;
using Orleans.Coordination.Server.Configuration;

namespace Orleans.Coordination.TestingHost;

/// <summary>
/// Fluent construction of a <see cref="TestCluster"/>:
/// <c>await using var cluster = await new TestClusterBuilder(3).BuildAndStartAsync();</c>
/// </summary>
public sealed class TestClusterBuilder
{
    private readonly TestClusterOptions _options = new();

    /// <summary>A builder for <paramref name="voters"/> voting silos (1, 3 or 5 are the usual sizes).</summary>
    /// <param name="voters">Voting silos; 1 runs a standalone silo.</param>
    public TestClusterBuilder(int voters = 3)
    {
        _options.Voters = voters;
    }

    /// <summary>Adds <paramref name="count"/> observers (non-voting silos that replicate and serve clients).</summary>
    /// <param name="count">How many observers.</param>
    public TestClusterBuilder WithObservers(int count)
    {
        _options.Observers = count;
        return this;
    }

    /// <summary>Sets the replication timing (see <see cref="EnsembleOptions"/>).</summary>
    /// <param name="tickMs">Tick in ms.</param>
    /// <param name="syncLimit">Ticks before a silent leader (or a leader without quorum) is given up.</param>
    /// <param name="initLimit">Ticks allowed for synchronisation with a new leader.</param>
    public TestClusterBuilder WithTiming(int tickMs, int syncLimit, int initLimit)
    {
        _options.TickMs = tickMs;
        _options.SyncLimit = syncLimit;
        _options.InitLimit = initLimit;
        return this;
    }

    /// <summary>Puts the silos' data directories under <paramref name="directory"/>.</summary>
    /// <param name="directory">An existing or new directory.</param>
    public TestClusterBuilder WithBaseDirectory(string directory)
    {
        _options.BaseDirectory = directory;
        return this;
    }

    /// <summary>Keeps the data directories after the cluster is disposed.</summary>
    public TestClusterBuilder KeepDataDirectories()
    {
        _options.KeepDataDirectories = true;
        return this;
    }

    /// <summary>Changes each silo's options (see <see cref="TestClusterOptions.ConfigureSilo"/>); calls accumulate.</summary>
    /// <param name="configure">Called once per silo before it first starts.</param>
    public TestClusterBuilder ConfigureSilo(Action<SiloOptions> configure)
    {
        _options.ConfigureSilo += configure; // multicast: earlier calls run first
        return this;
    }

    /// <summary>Adds logging providers to each silo (see <see cref="TestClusterOptions.ConfigureLogging"/>); calls accumulate.</summary>
    /// <param name="configure">Called with the silo's id and its logging builder.</param>
    public TestClusterBuilder ConfigureLogging(Action<int, ILoggingBuilder> configure)
    {
        _options.ConfigureLogging += configure;
        return this;
    }

    /// <summary>Writes every silo's log lines to <paramref name="writeLine"/> (for example xunit's <c>ITestOutputHelper.WriteLine</c>).</summary>
    /// <param name="writeLine">Receives one formatted line per log record.</param>
    /// <param name="minimumLevel">Lowest level written.</param>
    public TestClusterBuilder WithLogOutput(Action<string> writeLine, LogLevel minimumLevel = LogLevel.Information)
    {
        _options.LogOutput = writeLine;
        _options.LogLevel = minimumLevel;
        return this;
    }

    /// <summary>Keeps the silos' last <paramref name="lines"/> log lines in <see cref="TestCluster.CapturedLog"/>.</summary>
    /// <param name="lines">Most recent lines kept; 0 keeps none.</param>
    public TestClusterBuilder CaptureLog(int lines)
    {
        _options.CapturedLogLines = lines;
        return this;
    }

    /// <summary>Puts each silo's transaction log on the real disk instead of an in-memory file system (see <see cref="TestClusterOptions.UseInMemoryLogFileSystem"/>).</summary>
    public TestClusterBuilder UseRealDisk()
    {
        _options.UseInMemoryLogFileSystem = false;
        return this;
    }

    /// <summary>How long start-up may take before <see cref="TestCluster.StartAsync(TestClusterOptions, CancellationToken)"/> gives up.</summary>
    /// <param name="timeout">A positive time span.</param>
    public TestClusterBuilder WithStartTimeout(TimeSpan timeout)
    {
        _options.StartTimeout = timeout;
        return this;
    }

    /// <summary>Creates and starts the cluster; returns once it has a leader and every silo serves.</summary>
    /// <param name="cancellationToken">Cancels start-up (the cluster is disposed).</param>
    public Task<TestCluster> BuildAndStartAsync(CancellationToken cancellationToken = default) =>
        TestCluster.StartAsync(_options, cancellationToken);
}
