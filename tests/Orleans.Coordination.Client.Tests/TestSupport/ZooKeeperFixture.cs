namespace Orleans.Coordination.Client.Tests.TestSupport;

/// <summary>Apache ZooKeeper 3.8 (Debian package) started standalone on a free loopback port by infra/zk.sh.</summary>
public sealed class ZooKeeperFixture : ServerFixture
{
    public override string Name => "zookeeper";

    public override int ProcessId => int.Parse(File.ReadAllText(Path.Combine(Directory, "pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private string Script => Path.Combine(RepositoryRoot(), "infra", "zk.sh");

    protected override async Task StartAsync(int port)
    {
        var (code, output) = await RunAsync("bash", [Script, "start", Directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(90));
        if (code != 0)
        {
            throw new InvalidOperationException($"zk.sh start failed ({code}):\n{output}");
        }
    }

    protected override async Task StopAsync()
    {
        await RunAsync("bash", [Script, "stop", Directory], TimeSpan.FromSeconds(30));
    }
}
