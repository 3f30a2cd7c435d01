namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>Standalone Apache ZooKeeper from the Debian package, started through infra/zk.sh.</summary>
public sealed class ApacheZooKeeperServer() : CoordinationServer("zk")
{
    public override ServerKind Kind => ServerKind.ApacheZooKeeper;

    public override async Task InitializeAsync()
    {
        var environment = new Dictionary<string, string>
        {
            ["ZK_TICK_TIME"] = TickTimeMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ZK_JVMFLAGS"] =
                $"-Dzookeeper.DigestAuthenticationProvider.superDigest={SuperDigest} " +
                $"-Dznode.container.checkIntervalMs={ContainerCheckIntervalMs}",
        };
        var result = await ProcessRunner.RunAsync(
            "bash",
            [RepositoryPaths.ZkScript, "start", Directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(90),
            environment: environment);
        if (result.ExitCode != 0 || result.TimedOut)
        {
            throw new InvalidOperationException(
                $"Apache ZooKeeper did not start (is the Debian package 'zookeeper' installed?).\n{result.Describe()}\n--- zk.log ---\n{LogTail()}");
        }
    }

    public override string LogTail(int lines = 60) => Tail(Path.Combine(Directory, "zk.log"), lines);

    protected override async Task StopAsync() =>
        await ProcessRunner.RunAsync("bash", [RepositoryPaths.ZkScript, "stop", Directory], TimeSpan.FromSeconds(30));
}
