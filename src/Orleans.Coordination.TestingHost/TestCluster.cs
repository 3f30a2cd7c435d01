using Microsoft.Extensions.Logging;
using Orleans.Coordination.Server;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Storage.Log;
using Orleans.Coordination.TestingHost.Internal;

namespace Orleans.Coordination.TestingHost;

/// <summary>
/// An ensemble of silos in this process, replicating over real loopback sockets, for tests of code that uses the
/// coordination service (locks, elections, configuration). Each silo has its own data directory (deleted on dispose)
/// and fixed ports chosen at start; silos can be killed, restarted, stopped, paused and partitioned on demand.
/// <code>
/// await using var cluster = await TestCluster.StartAsync(3);
/// await using var client = await cluster.CreateClientAsync();
/// await client.CreateAsync("/app", null);
/// await cluster.KillSiloAsync(await cluster.WaitForLeaderAsync());
/// </code>
/// </summary>
/// <remarks>
/// Methods that change silos are not meant to be called concurrently with each other; the waits and
/// <see cref="TestSilo.GetStatusAsync"/> may be called from any thread.
/// </remarks>
public sealed partial class TestCluster : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private readonly TestClusterOptions _options;
    private readonly LogCapture _capture;
    private readonly string _root;
    private readonly bool _ownsRoot;
    private readonly int[] _ports;
    private int _disposed;

    private TestCluster(TestClusterOptions options)
    {
        options.Validate();
        _options = options;
        _capture = new LogCapture(options.CapturedLogLines);
        _ownsRoot = options.BaseDirectory is null;
        _root = options.BaseDirectory ?? Path.Combine(Path.GetTempPath(), "coord-testcluster", Guid.NewGuid().ToString("N"));

        var count = options.Voters + options.Observers;
        var replicated = count > 1;
        _ports = PortAllocator.Allocate(replicated ? 3 * count : count);
        var members = replicated
            ? Enumerable.Range(1, count)
                .Select(id => new EnsembleMemberOptions(
                    id,
                    "127.0.0.1",
                    QuorumPort: _ports[(3 * id) - 3],
                    ElectionPort: _ports[(3 * id) - 2],
                    id <= options.Voters ? EnsembleRole.Voter : EnsembleRole.Observer,
                    ClientPort: _ports[(3 * id) - 1]))
                .ToArray()
            : [];

        var silos = new List<TestSilo>(count);
        for (var id = 1; id <= count; id++)
        {
            var siloOptions = new SiloOptions
            {
                ClientAddress = "127.0.0.1",
                FourLetterWords = ["*"],

                // The admin endpoint's fixed default port would collide between silos and clusters.
                AdminEnabled = false,
            };
            options.ConfigureSilo?.Invoke(siloOptions);
            siloOptions.ServerId = id;
            siloOptions.ClientPort = replicated ? members[id - 1].ClientPort : _ports[0];
            siloOptions.DataDir = Path.Combine(_root, $"s{id}");
            siloOptions.Ensemble = new EnsembleOptions
            {
                Members = members,
                TickMs = options.TickMs,
                SyncLimit = options.SyncLimit,
                InitLimit = options.InitLimit,
            };
            silos.Add(new TestSilo(
                siloOptions,
                replicated ? members[id - 1].Role : EnsembleRole.Voter,
                replicated ? members[id - 1].QuorumPort : 0,
                replicated ? members[id - 1].ElectionPort : 0,
                options.UseInMemoryLogFileSystem ? new InMemoryLogFileSystem() : null));
        }

        Silos = silos;
    }

    /// <summary>Every silo, running or not, in id order (voters 1..N, then observers).</summary>
    public IReadOnlyList<TestSilo> Silos { get; }

    /// <summary>"127.0.0.1:p1,127.0.0.1:p2,..." naming every silo's client port, for any ZooKeeper-compatible client.</summary>
    public string ConnectionString => ConnectionStringFor([.. Silos.Select(s => s.Id)]);

    /// <summary>The directory holding every silo's data directory.</summary>
    public string DataDirectory => _root;

    /// <summary>
    /// The silos' most recent log lines (oldest first), when <see cref="TestClusterOptions.CapturedLogLines"/> is
    /// positive: print them when a test fails.
    /// </summary>
    public IReadOnlyList<string> CapturedLog => _capture.Snapshot();

    /// <summary>The silo with this id.</summary>
    /// <param name="id">Its server id (1-based).</param>
    public TestSilo this[int id] => id >= 1 && id <= Silos.Count
        ? Silos[id - 1]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"the cluster has silos 1..{Silos.Count}");

    /// <summary>
    /// Starts <paramref name="silos"/> voting silos and returns once one leads and all serve.
    /// </summary>
    /// <param name="silos">How many voters: 1 runs a standalone silo, 3 or 5 an ensemble.</param>
    /// <param name="configure">Changes the options before start.</param>
    /// <param name="cancellationToken">Cancels start-up (the cluster is disposed).</param>
    public static Task<TestCluster> StartAsync(int silos = 3, Action<TestClusterOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new TestClusterOptions { Voters = silos };
        configure?.Invoke(options);
        return StartAsync(options, cancellationToken);
    }

    /// <summary>Starts a cluster made as <paramref name="options"/> say and returns once one silo leads and all serve.</summary>
    /// <param name="options">The cluster's shape; not to be changed afterwards.</param>
    /// <param name="cancellationToken">Cancels start-up (the cluster is disposed).</param>
    public static async Task<TestCluster> StartAsync(TestClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = new TestCluster(options);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);

            // Concurrently: a member waits for its peers anyway, and a lone first member would start elections alone.
            await Task.WhenAll(cluster.Silos.Select(s => cluster.StartSiloCoreAsync(s, timeout.Token))).ConfigureAwait(false);
            await cluster.WaitForServingAsync([.. cluster.Silos.Select(s => s.Id)], options.StartTimeout, cancellationToken).ConfigureAwait(false);
            await cluster.WaitForLeaderAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection string naming only these silos, in this order.</summary>
    /// <param name="ids">Server ids.</param>
    public string ConnectionStringFor(params int[] ids) => string.Join(",", ids.Select(id => this[id].ClientEndpoint));

    /// <summary>Stops every running silo (paused ones are resumed first), then deletes the data directories.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(Silos.Select(async s =>
        {
            if (s.Stopped() is { } host)
            {
                host.Resume();
                try
                {
                    await host.DisposeAsync().AsTask().WaitAsync(StopTimeout).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Leave it: the directory delete below may then fail too, which only leaves temp files.
                }
            }
        })).ConfigureAwait(false);

        PortAllocator.Release(_ports);
        if (!_options.KeepDataDirectories)
        {
            await DeleteDirectoryAsync(_ownsRoot ? _root : null, [.. Silos.Select(s => s.DataDirectory)]).ConfigureAwait(false);
        }
    }

    private static async Task DeleteDirectoryAsync(string? root, string[] dataDirs)
    {
        var targets = root is null ? dataDirs : [root];
        foreach (var dir in targets)
        {
            for (var attempt = 0; attempt < 5 && Directory.Exists(dir); attempt++)
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A file handle may close a moment after the host stopped (Windows); try again shortly.
                    await Task.Delay(100).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task StartSiloCoreAsync(TestSilo silo, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (silo.IsRunning)
        {
            throw new InvalidOperationException($"silo {silo.Id} is already running");
        }

        Directory.CreateDirectory(silo.DataDirectory);
        var host = await SiloHost.StartAsync(silo.Options, b => ConfigureLogging(silo.Id, b), cancellationToken, silo.LogFileSystem).ConfigureAwait(false);
        lock (silo.BlockedPeers)
        {
            if (silo.BlockedPeers.Count > 0)
            {
                host.Core.Links.Block([.. silo.BlockedPeers]);
            }
        }

        silo.Started(host);
    }

    private void ConfigureLogging(int id, ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(_options.LogLevel);
        if (_options.CapturedLogLines > 0)
        {
            logging.AddProvider(new LineLoggerProvider(id, _options.LogLevel, _capture.Add));
        }

        if (_options.LogOutput is { } output)
        {
            logging.AddProvider(new LineLoggerProvider(id, _options.LogLevel, output));
        }

        _options.ConfigureLogging?.Invoke(id, logging);
    }
}
