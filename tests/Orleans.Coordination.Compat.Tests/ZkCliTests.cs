using System.Text.RegularExpressions;
using Orleans.Coordination.Compat.Tests.Infrastructure;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>zkCli.sh from the Debian package (the Java client's shell), by arguments and by piped commands.</summary>
public abstract class ZkCliTests(CoordinationServer server, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SingleCommandsFromArguments()
    {
        var b = ClientPrograms.UniqueBasePath("zkcli-args");
        Assert.Matches($"(?m)^Created {Regex.Escape(b)}$", await RunAsync("create", b, "hello"));
        Assert.Matches("(?m)^hello$", await RunAsync("get", b));
        Assert.Matches($"(?m)^Node already exists: {Regex.Escape(b)}$", await RunAsync("create", b, "again"));
        Assert.Matches(@"(?m)^\[\]$", await RunAsync("ls", b));
        Assert.Matches(@"(?m)^\[config, quota\]$|(?m)^\[quota, config\]$", await RunAsync("ls", "/zookeeper"));
    }

    [Fact]
    public async Task PipedSession()
    {
        var b = ClientPrograms.UniqueBasePath("zkcli");
        string[] commands =
        [
            $"create {b}",
            $"create {b}/x data",
            $"create {b}/x again",
            $"get {b}/x",
            $"get -s {b}/x",
            $"set {b}/x newdata",
            $"set -v 5 {b}/x foo",
            $"stat {b}/x",
            $"ls {b}",
            $"create -e {b}/e",
            $"create -s {b}/s-",
            $"create -c {b}/c",
            $"create -t 100000 {b}/t",
            $"create {b}/x/y",
            $"ls -R {b}",
            $"getAcl {b}/x",
            "addauth digest u:p",
            $"setAcl {b}/x auth::cdrwa",
            $"getAcl {b}/x",
            $"delete {b}/x",
            $"deleteall {b}/x",
            $"get {b}/missing",
            $"getAllChildrenNumber {b}",
            $"getEphemerals {b}",
            $"sync {b}",
            "whoami",
            $"delete -v 9 {b}/c",
            $"set {b}/nope x",
            "quit",
        ];
        var result = await ProcessRunner.RunMergedAsync(
            RepositoryPaths.ZkCli, ["-server", server.ConnectString], Timeout, string.Join('\n', commands) + "\n");
        output.WriteLine(result.Describe());
        Assert.False(result.TimedOut, result.Describe());
        var e = Regex.Escape(b);
        var text = WithoutConnectEvent(result.StandardOutput);
        TranscriptAssert.InOrder(
            text,
            $"^Created {e}$",
            $"^Created {e}/x$",
            $"^Node already exists: {e}/x$",
            "^data$",
            "^data$",
            @"^cZxid = 0x[0-9a-f]+$",
            @"^ctime = ",
            @"^mZxid = 0x[0-9a-f]+$",
            @"^mtime = ",
            @"^pZxid = 0x[0-9a-f]+$",
            @"^cversion = 0$",
            @"^dataVersion = 0$",
            @"^aclVersion = 0$",
            @"^ephemeralOwner = 0x0$",
            @"^dataLength = 4$",
            @"^numChildren = 0$",
            $"^version No is not valid : {e}/x$",
            @"^dataVersion = 1$",
            @"^dataLength = 7$",
            @"^\[x\]$",
            $"^Created {e}/e$",
            $"^Created {e}/s-0000000002$",
            $"^Created {e}/c$",
            $"^Created {e}/t$",
            $"^Created {e}/x/y$");
        // ls -R: the subtree, one path per line (sibling order is the server's).
        var tree = new[] { "", "/c", "/e", "/s-0000000002", "/t", "/x", "/x/y" }.Select(s => b + s).ToList();
        var listed = text.Split('\n').Where(line => line.StartsWith(b, StringComparison.Ordinal)).ToList();
        Assert.Superset(tree.ToHashSet(), listed.ToHashSet());
        var digest = Regex.Escape(CoordinationServer.DigestId("u", "p"));
        TranscriptAssert.InOrder(
            text,
            $"^{e}/x/y$",
            "^'world,'anyone$",
            "^: cdrwa$",
            $"^'digest,'{digest}$",
            "^: cdrwa$",
            $"^Node not empty: {e}/x$",
            $"^Node does not exist: {e}/missing$",
            "^4$",
            $@"^\[{e}/e\]$",
            "^Sync is OK$",
            "^Auth scheme: User$");
        Assert.Matches("(?m)^ip: 127.0.0.1$", text);
        Assert.Matches("(?m)^digest: u$", text);
        TranscriptAssert.InOrder(
            text,
            "^Auth scheme: User$",
            $"^version No is not valid : {e}/c$",
            $"^Node does not exist: {e}/nope$");
    }

    /// <summary>Runs one zkCli command and returns its output without the connect event.</summary>
    private async Task<string> RunAsync(params string[] command)
    {
        var result = await ProcessRunner.RunMergedAsync(RepositoryPaths.ZkCli, ["-server", server.ConnectString, .. command], Timeout);
        output.WriteLine(result.Describe());
        Assert.False(result.TimedOut, result.Describe());
        return WithoutConnectEvent(result.StandardOutput);
    }

    /// <summary>
    /// zkCli prints the SyncConnected event from the event thread while the main thread prints a command's result,
    /// and `ls` writes its list piecewise, so the event can land inside a result line ("[config, quota" ... "]").
    /// The event is dropped before matching.
    /// </summary>
    private static string WithoutConnectEvent(string text) =>
        Regex.Replace(text, @"\r?\nWATCHER::\r?\n\r?\nWatchedEvent state:SyncConnected type:None path:null\r?\n", "");
}

[Collection(SiloCollection.Name)]
public sealed class ZkCliOnSilo(SiloServer server, ITestOutputHelper output) : ZkCliTests(server, output);

[Collection(ApacheZooKeeperCollection.Name)]
public sealed class ZkCliOnApacheZooKeeper(ApacheZooKeeperServer server, ITestOutputHelper output) : ZkCliTests(server, output);
