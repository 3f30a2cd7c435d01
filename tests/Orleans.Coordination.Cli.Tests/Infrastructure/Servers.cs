using System.Globalization;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>A server the CLI tests talk to, started once per test collection.</summary>
public abstract class TestServer : IAsyncLifetime
{
    protected TestServer(string name)
    {
        Name = name;
        Directory = Repository.NewScratchDirectory(name);
        Port = FreePorts.Next();
    }

    /// <summary>"silo" or "zookeeper".</summary>
    public string Name { get; }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>HOST:PORT of the client port.</summary>
    public string Server => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    public abstract string LogTail();

    /// <summary>Removes the server's directory (a silo's log segments are preallocated, 64 MiB each); COORD_CLI_TESTS_KEEP=1 keeps it.</summary>
    protected void DeleteDirectory()
    {
        if (Environment.GetEnvironmentVariable("COORD_CLI_TESTS_KEEP") == "1")
        {
            return;
        }

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

/// <summary>
/// One silo started as a process by infra/ensemble.sh on free ports (ENSEMBLE_CLIENT_PORT_BASE / ENSEMBLE_ADMIN_PORT_BASE),
/// with an admin token so that POST /commands/snapshot works. The standalone counterpart of <see cref="EnsembleServer"/>: the
/// operations tests (backup, restore, log and snapshot dumps of one data directory) run against it.
/// </summary>
public sealed class SiloServer : TestServer
{
    public const string AdminToken = "cli-tests-admin-token-0123456789";

    public SiloServer()
        : base("silo")
    {
        AdminPort = FreePorts.Next();
    }

    public int AdminPort { get; }

    public string Admin => $"127.0.0.1:{AdminPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The silo's dataDir (log/ and snapshots.db inside).</summary>
    public string DataDir => Path.Combine(Directory, "s1", "data");

    public override async Task InitializeAsync()
    {
        await Repository.EnsureBuiltAsync();
        var environment = new Dictionary<string, string>
        {
            // Silo i listens on base+i: silo 1 gets exactly the free ports picked above.
            ["ENSEMBLE_CLIENT_PORT_BASE"] = (Port - 1).ToString(CultureInfo.InvariantCulture),
            ["ENSEMBLE_ADMIN_PORT_BASE"] = (AdminPort - 1).ToString(CultureInfo.InvariantCulture),
            ["ENSEMBLE_NO_BUILD"] = "1", // the CLI's Release build built the server
            ["ENSEMBLE_SILO_ARGS"] = $"--admin.token {AdminToken}",
            ["ENSEMBLE_START_TIMEOUT"] = "90",
        };
        var result = await ProcessRunner.RunAsync("bash", [Repository.EnsembleScript, "start", "1", Directory], TimeSpan.FromMinutes(3), environment: environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"the silo did not start:\n{result.Describe()}\n--- silo.log ---\n{LogTail()}");
        }
    }

    public override async Task DisposeAsync()
    {
        await ProcessRunner.RunAsync("bash", [Repository.EnsembleScript, "stop", Directory], TimeSpan.FromSeconds(60));
        DeleteDirectory();
    }

    public override string LogTail() => Tail(Path.Combine(Directory, "s1", "silo.log"));

    internal static string Tail(string file) =>
        File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(40)) : $"({file} does not exist)";
}

/// <summary>Apache ZooKeeper 3.8 standalone (Debian package), started by infra/zk.sh on a free port.</summary>
public sealed class ZooKeeperServer : TestServer
{
    public ZooKeeperServer()
        : base("zookeeper")
    {
    }

    public override async Task InitializeAsync()
    {
        var start = ProcessRunner.RunAsync("bash", [Repository.ZkScript, "start", Directory, Port.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(2));
        await Task.WhenAll(start, Repository.EnsureBuiltAsync());
        var result = await start;
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"Apache ZooKeeper did not start (is the Debian package 'zookeeper' installed? infra/test.sh installs it):\n{result.Describe()}\n--- zk.log ---\n{LogTail()}");
        }
    }

    public override async Task DisposeAsync()
    {
        await ProcessRunner.RunAsync("bash", [Repository.ZkScript, "stop", Directory], TimeSpan.FromSeconds(60));
        DeleteDirectory();
    }

    public override string LogTail() => SiloServer.Tail(Path.Combine(Directory, "zk.log"));
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloServer>
{
    public const string Name = "silo";
}

[CollectionDefinition(Name)]
public sealed class ZooKeeperCollection : ICollectionFixture<ZooKeeperServer>
{
    public const string Name = "zookeeper";
}
