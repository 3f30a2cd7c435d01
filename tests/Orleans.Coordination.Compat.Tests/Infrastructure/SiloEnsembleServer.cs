using System.Globalization;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>
/// Three silos as one replicating ensemble, each its own process, started by <c>infra/ensemble.sh start 3 DIR</c> and
/// stopped by <c>infra/ensemble.sh stop DIR</c>. Silo i listens on base+i for each kind of port; the four bases
/// (ENSEMBLE_CLIENT_PORT_BASE, ENSEMBLE_ADMIN_PORT_BASE, ENSEMBLE_QUORUM_PORT_BASE, ENSEMBLE_ELECTION_PORT_BASE) are
/// chosen so that base+1..base+3 are free. The silos get the settings every compatibility test assumes (see
/// <see cref="CoordinationServer"/>). <see cref="ConnectString"/> lists all three members, and
/// <see cref="SpreadsClients"/> tells the client programs to put their k-th client on member (k mod 3) + 1 alone.
/// </summary>
public sealed class SiloEnsembleServer : CoordinationServer
{
    public const int Size = 3;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly int _clientBase;
    private readonly int _adminBase = FreePorts.Block(Size);
    private readonly int _quorumBase = FreePorts.Block(Size);
    private readonly int _electionBase = FreePorts.Block(Size);

    public SiloEnsembleServer()
        : this(FreePorts.Block(Size))
    {
    }

    private SiloEnsembleServer(int clientBase)
        : base("ensemble", clientBase + 1)
    {
        _clientBase = clientBase;
    }

    public override ServerKind Kind => ServerKind.SiloEnsemble;

    public override string ConnectString => string.Join(',', Enumerable.Range(1, Size).Select(Member));

    public override bool SpreadsClients => true;

    /// <summary>HOST:PORT of member <paramref name="i"/> (1-based).</summary>
    public string Member(int i) => $"127.0.0.1:{(_clientBase + i).ToString(CultureInfo.InvariantCulture)}";

    private Dictionary<string, string> Environment => new()
    {
        ["ENSEMBLE_CLIENT_PORT_BASE"] = _clientBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_ADMIN_PORT_BASE"] = _adminBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_QUORUM_PORT_BASE"] = _quorumBase.ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_ELECTION_PORT_BASE"] = _electionBase.ToString(CultureInfo.InvariantCulture),
        // SiloServer.EnsureBuiltAsync has built the Release server; the script need not build it again.
        ["ENSEMBLE_NO_BUILD"] = "1",
        ["ENSEMBLE_START_TIMEOUT"] = ((int)StartTimeout.TotalSeconds - 30).ToString(CultureInfo.InvariantCulture),
        ["ENSEMBLE_SILO_ARGS"] = string.Join(' ',
            "--tickTime", TickTimeMs.ToString(CultureInfo.InvariantCulture),
            "--extendedTypesEnabled", "true",
            "--superDigest", SuperDigest,
            "--containerCheckIntervalMs", ContainerCheckIntervalMs.ToString(CultureInfo.InvariantCulture)),
    };

    public override async Task InitializeAsync()
    {
        await SiloServer.EnsureBuiltAsync();
        var result = await ProcessRunner.RunAsync(
            "bash",
            [RepositoryPaths.EnsembleScript, "start", Size.ToString(CultureInfo.InvariantCulture), Directory],
            StartTimeout,
            environment: Environment);
        if (result.ExitCode != 0 || result.TimedOut)
        {
            throw new InvalidOperationException($"The {Size}-silo ensemble did not start.\n{result.Describe()}\n{LogTail()}");
        }
    }

    /// <summary>The last lines of every member's log.</summary>
    public override string LogTail(int lines = 60) =>
        string.Join('\n', Enumerable.Range(1, Size).Select(i =>
            $"--- s{i}/silo.log ({Member(i)}) ---\n{Tail(Path.Combine(Directory, $"s{i}", "silo.log"), lines)}"));

    protected override async Task StopAsync() =>
        await ProcessRunner.RunAsync(
            "bash", [RepositoryPaths.EnsembleScript, "stop", Directory], TimeSpan.FromSeconds(60), environment: Environment);
}
