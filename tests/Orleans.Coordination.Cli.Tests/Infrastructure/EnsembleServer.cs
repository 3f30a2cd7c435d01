using System.Globalization;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>
/// A 3-silo ensemble started as processes by <c>infra/ensemble.sh start 3 DIR</c>. Silo i listens on base+i for each
/// port kind; the bases (ENSEMBLE_CLIENT_PORT_BASE, ENSEMBLE_ADMIN_PORT_BASE, ENSEMBLE_QUORUM_PORT_BASE,
/// ENSEMBLE_ELECTION_PORT_BASE) are picked so that base+1..base+3 are free, so the ensemble does not collide with
/// other tests or with an ensemble on the default ports.
/// </summary>
public sealed class EnsembleServer : IAsyncLifetime
{
    public const int Size = 3;

    public EnsembleServer()
    {
        Directory = Repository.NewScratchDirectory("ensemble");
        var bases = FreePorts.Blocks(4, Size);
        ClientBase = bases[0];
        AdminBase = bases[1];
        QuorumBase = bases[2];
        ElectionBase = bases[3];
    }

    public string Directory { get; }

    public int ClientBase { get; }

    public int AdminBase { get; }

    public int QuorumBase { get; }

    public int ElectionBase { get; }

    /// <summary>HOST:PORT of silo <paramref name="i"/>'s client port (1-based).</summary>
    public string Client(int i) => $"127.0.0.1:{(ClientBase + i).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>HOST:PORT of silo <paramref name="i"/>'s admin endpoint.</summary>
    public string Admin(int i) => $"127.0.0.1:{(AdminBase + i).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Every client port, comma-separated, as <c>-server</c> takes them.</summary>
    public string Servers => string.Join(',', Enumerable.Range(1, Size).Select(Client));

    public IEnumerable<int> Ids => Enumerable.Range(1, Size);

    private Dictionary<string, string> Environment => new()
    {
        ["ENSEMBLE_CLIENT_PORT_BASE"] = ClientBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_ADMIN_PORT_BASE"] = AdminBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_QUORUM_PORT_BASE"] = QuorumBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_ELECTION_PORT_BASE"] = ElectionBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_NO_BUILD"] = "1", // the CLI's Release build built the server
        ["ENSEMBLE_START_TIMEOUT"] = "120",
    };

    public async Task InitializeAsync()
    {
        await Repository.EnsureBuiltAsync();
        var result = await ProcessRunner.RunAsync("bash", [Repository.EnsembleScript, "start", Size.ToString(CultureInfo.InvariantCulture), Directory], TimeSpan.FromMinutes(3), environment: Environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"the 3-silo ensemble did not start:\n{result.Describe()}\n{LogTails()}");
        }
    }

    /// <summary>kill -9 of silo <paramref name="i"/>'s process (the pid ensemble.sh recorded for the silo it started).</summary>
    public async Task KillAsync(int i)
    {
        var pidFile = Path.Combine(Directory, $"s{i}", "pid");
        var pid = int.Parse(await File.ReadAllTextAsync(pidFile), CultureInfo.InvariantCulture);
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary><c>infra/ensemble.sh start-one I DIR</c>: silo i again on its data; returns once it serves.</summary>
    internal async Task<ProcessResult> StartOneAsync(int i) =>
        await ProcessRunner.RunAsync("bash", [Repository.EnsembleScript, "start-one", i.ToString(CultureInfo.InvariantCulture), Directory], TimeSpan.FromMinutes(3), environment: Environment);

    public async Task DisposeAsync()
    {
        await ProcessRunner.RunAsync("bash", [Repository.EnsembleScript, "stop", Directory], TimeSpan.FromSeconds(90), environment: Environment);
        if (System.Environment.GetEnvironmentVariable("COORD_CLI_TESTS_KEEP") != "1")
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // A process still exiting may hold a file; the directory is in the temporary area anyway.
            }
        }
    }

    public string LogTails() =>
        string.Join('\n', Ids.Select(i => $"--- s{i}/silo.log ---\n{SiloServer.Tail(Path.Combine(Directory, $"s{i}", "silo.log"))}"));
}

[CollectionDefinition(Name)]
public sealed class EnsembleCollection : ICollectionFixture<EnsembleServer>
{
    public const string Name = "ensemble";
}
