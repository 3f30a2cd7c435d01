using System.Text.RegularExpressions;
using Orleans.Coordination.Cli.Tests.Infrastructure;
using static Orleans.Coordination.Cli.Tests.Infrastructure.Expect;

namespace Orleans.Coordination.Cli.Tests;

/// <summary>
/// The same session through Apache ZooKeeper's zkCli.sh and through `coord`, against the same ZooKeeper: stdout and
/// the error lines must be identical, apart from the banner and the connection events zkCli prints asynchronously.
/// </summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZkCliComparisonOnZooKeeper(ZooKeeperServer zk, ITestOutputHelper output)
{
    [Fact]
    public async Task SameOutputAsZkCliForTheSameSession()
    {
        Assert.True(File.Exists(Repository.ZkCli), $"{Repository.ZkCli} not found: install the Debian package 'zookeeper' (infra/test.sh does)");
        var b = NewBase("compare");
        Ok(await Coord.ShellAsync(zk.Server, $"create {b} top", $"create {b}/a x", $"create {b}/b", $"create {b}/b/c deep", $"create {b}/z", $"setAcl {b}/z world:anyone:cdr", "quit"));
        string[] script =
        [
            $"ls {b}",
            $"ls -s {b}",
            $"ls -R {b}",
            $"get {b}/a",
            $"get -s {b}/b/c",
            $"get {b}/b",
            $"stat {b}/b",
            $"getAcl {b}/z",
            $"getAcl -s {b}/a",
            $"getAllChildrenNumber {b}",
            "whoami",
            $"sync {b}",
            "printwatches",
            "config -s",
            $"get {b}/missing",
            $"ls {b}/missing",
            $"stat {b}/missing",
            $"set {b}/z data",
            $"set -v 9 {b}/a y",
            $"delete {b}",
            $"create {b}/a again",
            "create nopath",
            $"getEphemerals {b}",
            "history",
            "redo 0",
            "redo 99",
            "history",
            "quit",
        ];
        var input = string.Join('\n', script) + "\n";
        var zkCli = await ProcessRunner.RunAsync(Repository.ZkCli, ["-server", zk.Server], TimeSpan.FromSeconds(90), input);
        var coord = await Coord.RunWithInputAsync(input, "-server", zk.Server);
        output.WriteLine(zkCli.Describe());
        output.WriteLine(coord.Describe());
        Assert.Equal(0, zkCli.ExitCode);
        Assert.Equal(zkCli.ExitCode, coord.ExitCode);

        var expected = Significant(WithoutConnectEvent(zkCli.Stdout));
        Assert.True(expected.Count > 60, "zkCli produced the output the comparison needs\n" + zkCli.Describe());
        var actual = Significant(WithoutConnectEvent(coord.Stdout));
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            Assert.True(expected[i] == actual[i], $"stdout line {i}: zkCli '{expected[i]}', coord '{actual[i]}'");
        }

        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(Errors(zkCli), Errors(coord));
    }

    // zkCli's event thread prints the connect event while the main thread prints a result, and `ls` writes its list
    // piecewise, so the event can split a result line ("[a, b" ... "]"): it is cut out of the text before splitting.
    private static string[] WithoutConnectEvent(string stdout) =>
        Regex.Replace(stdout.Replace("\r\n", "\n", StringComparison.Ordinal), "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n", "")
            .TrimEnd('\n').Split('\n');

    // Banner lines differ by design; connection events are printed by zkCli's event thread at no fixed place.
    private static List<string> Significant(IEnumerable<string> lines) =>
        lines.Where(l => l.Length > 0 && l != "WATCHER::" && l != "Welcome to ZooKeeper!"
                && !l.StartsWith("Connecting to ", StringComparison.Ordinal)
                && !l.StartsWith("JLine support is", StringComparison.Ordinal)
                && !l.StartsWith("Line editing is", StringComparison.Ordinal)
                && !(l.StartsWith("WatchedEvent state:", StringComparison.Ordinal) && l.Contains("type:None", StringComparison.Ordinal)))
            .ToList();

    // zkCli's stderr also carries its logging (SLF4J); the command errors are the rest.
    private static List<string> Errors(ProcessResult r) =>
        StderrLines(r).Where(l => l.Length > 0 && !l.StartsWith("SLF4J", StringComparison.Ordinal) && !l.Contains(" INFO ", StringComparison.Ordinal)
            && !l.Contains(" WARN ", StringComparison.Ordinal) && !l.StartsWith("log4j", StringComparison.Ordinal)).ToList();
}
