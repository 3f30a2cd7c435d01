using System.Text.RegularExpressions;
using Orleans.Coordination.Compat.Tests.Infrastructure;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>
/// The ZooKeeper C client's shell from the Debian package zookeeper-bin: cli_mt (multi-threaded), and cli_st
/// (single-threaded) wherever the package ships it. Batch mode (-c) and an interactive session over stdin.
/// </summary>
public abstract class CClientTests(CoordinationServer server, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The C shells installed here (Debian 12's zookeeper-bin has only cli_mt).</summary>
    public static TheoryData<string> Shells()
    {
        var data = new TheoryData<string> { "cli_mt" };
        if (File.Exists(RepositoryPaths.CClientSingleThreaded))
        {
            data.Add("cli_st");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task BatchCommands(string shell)
    {
        var b = ClientPrograms.UniqueBasePath("c-" + shell);
        var e = Regex.Escape(b);
        await ExpectAsync(shell, $"create {b}", $@"\[{e}\]: rc = 0\n\tname = {e}\n");
        await ExpectAsync(shell, $"create2 {b}/a", $@"\[{e}/a\]: rc = 0\n\tname = {e}/a\n\tctime = [^\n]+\n\tczxid=[0-9a-f]+\n\tmtime=[^\n]+\n\tmzxid=[0-9a-f]+\n\tversion=0\taversion=0\n\tephemeralOwner = 0\n");
        await ExpectAsync(shell, $"create {b}/a", $@"\[{e}/a\]: rc = -110\n");
        await ExpectAsync(shell, $"set {b}/a hello", $@"{e}/a: rc = 0 Stat:\n[^\n]*\n\tczxid=[0-9a-f]+\n[^\n]*\n\tmzxid=[0-9a-f]+\n\tversion=1\taversion=0\n");
        await ExpectAsync(shell, $"get {b}/a", $@"{e}/a: rc = 0\n value_len = 5\nhello\nStat:\n");
        await ExpectAsync(shell, $"ls2 {b}", $@"{e}: rc = 0\n\ta\n");
        await ExpectAsync(shell, $"create +s {b}/s-", $@"\[{e}/s-\]: rc = 0\n\tname = {e}/s-0000000001\n");
        await ExpectAsync(shell, $"create +c {b}/c", $@"Creating \[{e}/c\] node \(mode: 4\)\n(?:[^\n]*\n)*?\[{e}/c\]: rc = 0\n");
        await ExpectAsync(shell, $"create +t=60000 {b}/t", $@"Creating \[{e}/t\] node \(mode: 5\)\n(?:[^\n]*\n)*?\[{e}/t\]: rc = 0\n");
        await ExpectAsync(shell, $"create +e {b}/e", $@"Creating \[{e}/e\] node \(mode: 1\)\n(?:[^\n]*\n)*?\[{e}/e\]: rc = 0\n");
        // (No batch "exists": cli_mt's batch mode never exits after it. InteractiveWatches uses wexists.)
        await ExpectAsync(shell, $"delete {b}", $@"{e}: rc = -111\n");
        await ExpectAsync(shell, $"delete {b}/a", $@"{e}/a: rc = 0\n");
        await ExpectAsync(shell, $"get {b}/a", $@"{e}/a: rc = -101\n");
        await ExpectAsync(shell, $"sync {b}", $@"\[{e}\]: rc = 0\n");
        await ExpectAsync(shell, "ls /zookeeper", @"/zookeeper: rc = 0\n(\tconfig\n\tquota\n|\tquota\n\tconfig\n)");
        // /zookeeper/config: empty in standalone; its aversion is -1 (printed as unsigned hex).
        await ExpectAsync(shell, "config", @"/zookeeper/config: rc = 0\n value_len = 0\n");
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task InteractiveWatches(string shell)
    {
        var b = ClientPrograms.UniqueBasePath("c-watch-" + shell);
        var e = Regex.Escape(b);
        await ExpectAsync(shell, $"create {b}", "rc = 0");
        await ExpectAsync(shell, $"create {b}/w", "rc = 0");
        await using var cli = InteractiveProcess.Start(Path.Combine("/usr/lib/zookeeper/bin", shell), "-h", server.ConnectString);
        try
        {
            await cli.ExpectAsync("Watcher SESSION_EVENT state = CONNECTED_STATE");
            await cli.SendLineAsync($"get {b}/w");
            await cli.ExpectAsync($@"{e}/w: rc = 0\n value_len = 3\nnew\n");
            await ExpectAsync(shell, $"set {b}/w changed", "rc = 0");
            await cli.ExpectAsync($"Watcher CHANGED_EVENT state = CONNECTED_STATE for path {e}/w");

            await cli.SendLineAsync($"wexists {b}/m");
            await cli.ExpectAsync($@"Error -101 for {e}/m\n");
            await ExpectAsync(shell, $"create {b}/m", "rc = 0");
            await cli.ExpectAsync($"Watcher CREATED_EVENT state = CONNECTED_STATE for path {e}/m");

            await cli.SendLineAsync($"ls {b}");
            await cli.ExpectAsync($@"{e}: rc = 0\n");
            await ExpectAsync(shell, $"create {b}/child", "rc = 0");
            await cli.ExpectAsync($"Watcher CHILD_EVENT state = CONNECTED_STATE for path {e}");

            await cli.SendLineAsync($"get {b}/m");
            await cli.ExpectAsync($@"{e}/m: rc = 0\n");
            await ExpectAsync(shell, $"delete {b}/m", "rc = 0");
            await cli.ExpectAsync($"Watcher DELETED_EVENT state = CONNECTED_STATE for path {e}/m");

            // Own ephemeral, own session: visible to others until this shell quits.
            await cli.SendLineAsync($"create +e {b}/mine");
            await cli.ExpectAsync($@"\[{e}/mine\]: rc = 0\n");
            await ExpectAsync(shell, $"get {b}/mine", $@"{e}/mine: rc = 0\n");
            await cli.SendLineAsync("quit");
        }
        finally
        {
            output.WriteLine($"$ {cli.Command}\n{cli.Output}");
        }

        await cli.DisposeAsync();
        await ExpectAsync(shell, $"get {b}/mine", $@"{e}/mine: rc = -101\n");
    }

    /// <summary>Runs one batch-mode command in a fresh session and matches its output.</summary>
    private async Task ExpectAsync(string shell, string command, string pattern)
    {
        var result = await ProcessRunner.RunMergedAsync(
            Path.Combine("/usr/lib/zookeeper/bin", shell), ["-h", server.ConnectString, "-c", command], Timeout);
        output.WriteLine(result.Describe());
        Assert.False(result.TimedOut, result.Describe());
        if (!Regex.IsMatch(result.StandardOutput, pattern))
        {
            Assert.Fail($"'{pattern}' not in the output of '{command}'.\n{result.Describe()}");
        }
    }
}

[Collection(SiloCollection.Name)]
public sealed class CClientOnSilo(SiloServer server, ITestOutputHelper output) : CClientTests(server, output);

[Collection(ApacheZooKeeperCollection.Name)]
public sealed class CClientOnApacheZooKeeper(ApacheZooKeeperServer server, ITestOutputHelper output) : CClientTests(server, output);
