using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Coordination.Cli.Tests.Infrastructure;
using static Orleans.Coordination.Cli.Tests.Infrastructure.Expect;

namespace Orleans.Coordination.Cli.Tests;

/// <summary>
/// zkCli-compatible commands of the real `coord` executable, one per process (`coord -server HOST:PORT cmd args`)
/// and as an interactive session fed through stdin. The same tests run against a silo, a 3-silo ensemble (given all three
/// silos, as an operator would) and Apache ZooKeeper.
/// </summary>
public abstract class ShellTests(string servers, ITestOutputHelper output)
{
    /// <summary>What <c>-server</c> gets: one HOST:PORT, or a comma-separated list for an ensemble.</summary>
    protected string Servers => servers;

    protected ITestOutputHelper Output => output;

    /// <summary>What <c>config -c</c> prints: "version host:port,...", a lone space for a standalone server's empty config.</summary>
    protected virtual string ExpectedClientConfig => " ";

    private protected async Task<ProcessResult> Zk(params string[] words)
    {
        var r = await Coord.ZkAsync(servers, words);
        output.WriteLine(r.Describe());
        return r;
    }

    private protected async Task<ProcessResult> Shell(params string[] lines)
    {
        var r = await Coord.ShellAsync(servers, lines);
        output.WriteLine(r.Describe());
        return r;
    }

    [Fact]
    public async Task CreateGetSetStatDelete()
    {
        var b = NewBase("crud");
        var n = $"{b}/n";
        Stdout(Ok(await Zk("create", b)), $"Created {b}");
        Stdout(Ok(await Zk("create", n, "hello world")), $"Created {n}");
        Fails(await Zk("create", n, "again"), $"Node already exists: {n}");
        Stdout(Ok(await Zk("get", n)), "hello world");
        Stdout(Ok(await Zk("get", b)), "null"); // created without data

        var get = Ok(await Zk("get", "-s", n));
        Assert.Equal("hello world", get.Lines[0]);
        var stat = Stat(get.Lines, 1, get.Describe());
        Assert.Equal(("11", "0", "0", "0", "0x0"), (stat["dataLength"], stat["dataVersion"], stat["numChildren"], stat["aclVersion"], stat["ephemeralOwner"]));
        Assert.Equal(stat["cZxid"], stat["mZxid"]);

        var set = Ok(await Zk("set", "-s", "-v", "0", n, "bye"));
        var after = Stat(set.Lines, 0, set.Describe());
        Assert.Equal(11, set.Lines.Length);
        Assert.Equal(("1", "3"), (after["dataVersion"], after["dataLength"]));
        Assert.NotEqual(stat["mZxid"], after["mZxid"]);
        Stdout(Ok(await Zk("set", n, "plain")), "");
        Fails(await Zk("set", "-v", "7", n, "x"), $"version No is not valid : {n}");
        Fails(await Zk("set", n), "set [-s] [-v version] path data");

        var statOut = Ok(await Zk("stat", n));
        Assert.Equal(11, statOut.Lines.Length);
        Assert.Equal("2", Stat(statOut.Lines, 0, statOut.Describe())["dataVersion"]);
        Assert.Equal("1", Stat(Ok(await Zk("stat", b)).Lines)["numChildren"]);
        Fails(await Zk("stat", $"{b}/missing"), $"Node does not exist: {b}/missing");

        Fails(await Zk("delete", b), $"Node not empty: {b}");
        Fails(await Zk("delete", "-v", "5", n), $"version No is not valid : {n}");
        Stdout(Ok(await Zk("delete", "-v", "2", n)), "");
        Fails(await Zk("get", n), $"Node does not exist: {n}");
        Fails(await Zk("set", n, "x"), $"Node does not exist: {n}");
        Fails(await Zk("delete", n), $"Node does not exist: {n}");
        Ok(await Zk("delete", b));
    }

    [Fact]
    public async Task LsPlainWithStatRecursiveAndErrors()
    {
        var b = NewBase("ls");
        Ok(await Shell($"create {b}", $"create {b}/c", $"create {b}/a x", $"create {b}/b", $"create {b}/b/x", "quit"));
        Stdout(Ok(await Zk("ls", b)), "[a, b, c]");
        Stdout(Ok(await Zk("ls", "-w", $"{b}/b")), "[x]");
        Stdout(Ok(await Zk("ls", $"{b}/a")), "[]");

        var ls = Ok(await Zk("ls", "-s", b));
        Assert.Equal("[a, b, c]", ls.Lines[0]);
        Assert.Equal("3", Stat(ls.Lines, 1, ls.Describe())["numChildren"]);

        Stdout(Ok(await Zk("ls", "-R", b)), b, $"{b}/a", $"{b}/b", $"{b}/c", $"{b}/b/x");
        Stdout(Ok(await Zk("ls", "-R", "/zookeeper")), "/zookeeper", "/zookeeper/config", "/zookeeper/quota");

        Fails(await Zk("ls", $"{b}/missing"), $"Node does not exist: {b}/missing");
        Fails(await Zk("ls", "-R", $"{b}/missing"), $"Node does not exist: {b}/missing");
        Fails(await Zk("ls"), "ls [-s] [-w] [-R] path");
        Fails(await Zk("ls", "-x", b), "Unrecognized option: -x");
        Fails(await Zk("ls", "relative"), "Path must start with / character");
        Fails(await Zk("ls", $"{b}/"), "Path must not end with / character");
        Fails(await Zk("ls", $"{b}//a"), $"Invalid path string \"{b}//a\" caused by empty node name specified @{b.Length + 1}");
    }

    [Fact]
    public async Task CreateModesAndTheirErrors()
    {
        var b = NewBase("modes");
        Ok(await Zk("create", b));
        Assert.Matches($"^Created {b}/s-[0-9]{{10}}$", Ok(await Zk("create", "-s", $"{b}/s-", "data")).Stdout.TrimEnd());
        Stdout(Ok(await Zk("create", "-e", $"{b}/e", "eph")), $"Created {b}/e");
        Fails(await Zk("stat", $"{b}/e"), $"Node does not exist: {b}/e"); // the one-shot session closed on exit
        Stdout(Ok(await Zk("create", "-c", $"{b}/c")), $"Created {b}/c");
        Stdout(Ok(await Zk("create", "-t", "600000", $"{b}/t", "ttl")), $"Created {b}/t");
        Assert.Matches($"^Created {b}/ts-[0-9]{{10}}$", Ok(await Zk("create", "-s", "-t", "600000", $"{b}/ts-")).Stdout.TrimEnd());
        Assert.Equal("0x0", Stat(Ok(await Zk("stat", $"{b}/t")).Lines)["ephemeralOwner"]);

        // Argument errors are reported before anything is sent, with zkCli's messages; one session checks them all.
        var session = await Shell(
            $"create -c -s {b}/x",
            $"create -t 10 -e {b}/x",
            $"create -t 10 -c {b}/x",
            $"create -t abc {b}/x",
            $"create -t 0 {b}/x",
            "create",
            $"create {b}/no/parent",
            "create bad",
            $"create {b}/e2 x bogus",
            $"create -e {b}/e2",
            $"create {b}/e2/child",
            $"ls {b}");
        Assert.Equal(0, session.ExitCode);
        InOrder(StderrLines(session),
        [
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
            "TTLs cannot be used with Ephemeral znodes",
            "TTLs cannot be used with Container znodes",
            "-t argument must be a long value",
            "ttl must be positive and cannot be larger than: 1099511627775",
            "create [-s] [-e] [-c] [-t ttl] path [data] [acl]",
            $"Node does not exist: {b}/no/parent",
            "Path must start with / character",
            "bogus does not have the form scheme:id:perm",
            $"Ephemerals cannot have children: {b}/e2/child",
        ], session.Describe());
        Assert.Contains(StderrLines(session), l => l.StartsWith("Acl is not valid : ", StringComparison.Ordinal));
        Assert.Contains($"Created {b}/e2", session.Lines);
        Assert.Contains(session.Lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\[c, e2, s-\d{10}, t, ts-\d{10}\]$"));
    }

    [Fact]
    public async Task AclCommands()
    {
        var b = NewBase("acl");
        var session = Ok(await Shell(
            $"create {b} x",
            $"create {b}/c",
            $"getAcl {b}",
            $"setAcl {b} world:anyone:cdra",
            $"getAcl -s {b}",
            $"setAcl -s -v 1 {b} world:anyone:cdrwa",
            $"create {b}/m x world:anyone:r,ip:127.0.0.1:cdrwa",
            $"getAcl {b}/m",
            $"setAcl -R {b} world:anyone:rwa",
            $"getAcl {b}/c",
            "quit"));
        var lines = session.Lines;
        InOrder(lines, [$"Created {b}", $"Created {b}/c", "'world,'anyone", ": cdrwa", "'world,'anyone", ": cdra"], session.Describe());
        var getAclS = Array.IndexOf(lines, ": cdra");
        Assert.Equal("1", Stat(lines, getAclS + 1, session.Describe())["aclVersion"]);
        Assert.Equal("2", Stat(lines, getAclS + 1 + StatNames.Length, session.Describe())["aclVersion"]); // setAcl -s
        InOrder(lines, [$"Created {b}/m", "'world,'anyone", ": r", "'ip,'127.0.0.1", ": cdrwa", "'world,'anyone", ": rwa"], session.Describe());

        Stdout(Ok(await Zk("getAcl", b)), "'world,'anyone", ": rwa");
        Fails(await Zk("setAcl", "-v", "99", b, "world:anyone:cdrwa"), $"version No is not valid : {b}");
        Fails(await Zk("getAcl", $"{b}/missing"), $"Node does not exist: {b}/missing");
        Fails(await Zk("setAcl", b), "setAcl [-s] [-v version] [-R] path acl");
        var bogus = await Zk("setAcl", b, "bogus");
        Assert.Equal(1, bogus.ExitCode);
        Assert.Contains("bogus does not have the form scheme:id:perm", StderrLines(bogus));
    }

    [Fact]
    public async Task AddAuthWhoAmIAndNoAuth()
    {
        var b = NewBase("auth");
        var session = Ok(await Shell(
            "addauth digest alice:secret",
            "whoami",
            $"create {b} secret auth::cdrwa",
            $"getAcl {b}",
            $"get {b}",
            "quit"));
        InOrder(session.Lines, ["Auth scheme: User", $"Created {b}", "secret"], session.Describe());
        Assert.Contains("digest: alice", session.Lines);
        Assert.Contains("ip: 127.0.0.1", session.Lines);
        Assert.Contains(session.Lines, l => l.StartsWith("'digest,'alice:", StringComparison.Ordinal));

        Fails(await Zk("get", b), $"Insufficient permission : {b}");
        Stdout(Ok(await Zk("whoami")), "Auth scheme: User", "ip: 127.0.0.1");
        Fails(await Zk("addauth"), "addauth scheme auth");
    }

    [Fact]
    public async Task TreeSessionAndSyncCommands()
    {
        var b = NewBase("tree");
        var session = Ok(await Shell(
            $"create {b}",
            $"create {b}/1",
            $"create {b}/1/2",
            $"create {b}/1/2/3",
            $"create {b}/4",
            $"getAllChildrenNumber {b}",
            $"create -e {b}/e",
            $"getEphemerals {b}",
            $"sync {b}",
            $"deleteall -b 2 {b}/1",
            $"ls {b}",
            "quit"));
        InOrder(session.Lines, ["4", $"Created {b}/e", $"[{b}/e]", "Sync is OK", $"[4, e]"], session.Describe());

        Stdout(Ok(await Zk("getEphemerals", b)), "[]");
        Stdout(Ok(await Zk("getAllChildrenNumber", b)), "1");
        Stdout(Ok(await Zk("sync", b)), "Sync is OK");
        Stdout(Ok(await Zk("deleteall", b)), "");
        Fails(await Zk("stat", b), $"Node does not exist: {b}");
        Fails(await Zk("deleteall", b), $"Node does not exist: {b}");
        Fails(await Zk("getAllChildrenNumber", b), $"Node does not exist: {b}");
        Fails(await Zk("deleteall", "-b", "0", "/x"), "batch size must be a positive integer");
    }

    [Fact]
    public virtual async Task VersionConfigPrintwatchesHelpAndUnknownCommands()
    {
        Assert.StartsWith("ZooKeeper CLI version: ", Ok(await Zk("version")).Stdout);
        Stdout(Ok(await Zk("printwatches")), "printwatches is on");
        Stdout(Ok(await Zk("config")), ""); // standalone: /zookeeper/config is empty
        var config = Ok(await Zk("config", "-s"));
        Assert.Equal("-1", Stat(config.Lines, 1, config.Describe())["aclVersion"]);

        var unknown = Fails(await Zk("bogus", "x"), "Command not found: Command not found bogus", code: 127);
        Assert.Contains("\tls [-s] [-w] [-R] path", StderrLines(unknown));
        Assert.Contains("\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl]", StderrLines(unknown));
        Assert.Contains("\tls [-s] [-w] [-R] path", StderrLines(Ok(await Zk("help"))));
    }

    [Fact]
    public async Task InteractiveSessionWatchesHistoryRedoCloseAndConnect()
    {
        var b = NewBase("shell");
        string[] script =
        [
            $"create {b}",              // 0
            $"create {b}/w x",          // 1
            $"get -w {b}/w",            // 2
            $"set {b}/w y",             // 3: fires the data watch
            $"ls -w {b}",               // 4
            $"create {b}/v",            // 5: fires the child watch
            $"stat -w {b}/v",           // 6
            $"delete {b}/v",            // 7: fires the exists watch
            $"addWatch {b}/w",          // 8: persistent recursive
            $"create {b}/w/c",          // 9
            $"set {b}/w/c z",           // 10
            "printwatches off",         // 11
            $"set {b}/w q",             // 12: not printed
            "printwatches on",          // 13
            "printwatches",             // 14
            "history",                  // 15
            "redo 2",                   // 16: get -w again
            "redo 99",                  // 17
            "history",                  // 18
            "close",                    // 19
            $"ls {b}",                  // 20
            $"connect {Servers}", // 21
            $"ls {b}",                  // 22
            $"removewatches {b}/w",     // 23: watches ended with the closed session
            "quit",
        ];
        var r = await Shell(script);
        Assert.True(r.ExitCode == 1, "the status of the last command (removewatches failed)\n" + r.Describe());
        string Event(string type, string? path) => $"WatchedEvent state:SyncConnected type:{type} path:{path ?? "null"}";
        InOrder(r.Lines,
        [
            $"Connecting to {Servers}",
            "Welcome to ZooKeeper!",
            "WATCHER::",
            Event("None", null),
            $"Created {b}",
            $"Created {b}/w",
            "x",
            "WATCHER::",
            Event("NodeDataChanged", $"{b}/w"),
            "[w]",
            $"Created {b}/v",
            Event("NodeChildrenChanged", b),
            r.Lines.First(l => l.StartsWith("cZxid = ", StringComparison.Ordinal)),
            Event("NodeDeleted", $"{b}/v"),
            $"Created {b}/w/c",
            Event("NodeCreated", $"{b}/w/c"),
            Event("NodeDataChanged", $"{b}/w/c"),
            "printwatches is on",
            "5 - create " + $"{b}/v",
            "15 - history",
            "q",
            "8 - addWatch " + $"{b}/w",
            "16 - get -w " + $"{b}/w",
            "17 - redo 99",
            "18 - history",
            "WatchedEvent state:Closed type:None path:null",
            "Not connected",
            Event("None", null),
            "[w]",
            "WatchedEvent state:Closed type:None path:null",
        ], r.Describe());
        Assert.Single(r.Lines, Event("NodeDataChanged", $"{b}/w")); // printwatches off hid the second change
        Assert.DoesNotContain(r.Lines, l => l.StartsWith("[zk:", StringComparison.Ordinal)); // no prompt when stdin is not a terminal
        InOrder(StderrLines(r), ["Command index out of range", $"KeeperErrorCode = No such watcher for {b}/w"], r.Describe());
    }

    [Fact]
    public async Task RemoveWatchesAndConfigForClients()
    {
        var b = NewBase("rmwatch");
        var r = await Shell(
            $"create {b} x",
            $"get -w {b}",
            $"ls -w {b}",
            $"removewatches {b} -d",
            $"removewatches {b}",
            $"addWatch -m PERSISTENT {b}",
            $"removewatches {b}",
            $"set {b} y",
            "config -c",
            $"removewatches {b} -l",
            "quit");
        Assert.True(r.ExitCode == 1, r.Describe());
        string Event(string type) => $"WatchedEvent state:SyncConnected type:{type} path:{b}";
        InOrder(r.Lines, [$"Created {b}", "x", "[]", Event("DataWatchRemoved"), Event("ChildWatchRemoved"), Event("PersistentWatchRemoved"), ExpectedClientConfig], r.Describe());
        Assert.DoesNotContain(Event("NodeDataChanged"), r.Lines);
        Assert.Equal([$"KeeperErrorCode = No such watcher for {b}"], StderrLines(r));
        Fails(await Zk("addWatch", "-m", "SOMETIMES", b), "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE");
        Stdout(Ok(await Zk("addWatch", "-m", "persistent_recursive", b)), "");
    }

    [Fact]
    public async Task InteractiveExitStatusIsTheLastCommands()
    {
        Assert.Equal(0, (await Shell("get /cli-missing-node", "ls /")).ExitCode);
        Assert.Equal(1, (await Shell("ls /", "get /cli-missing-node")).ExitCode);
        Assert.Equal(1, (await Shell("ls /", "get /cli-missing-node", "quit", "ls /")).ExitCode); // quit ends the session and keeps the status
    }

    [Fact]
    public virtual async Task StatusShowsModeZxidLagAndConnections()
    {
        var table = Ok(await Coord.RunAsync("status", "--servers", Servers));
        output.WriteLine(table.Describe());
        Assert.Matches(@"^SERVER\s+MODE\s+ZXID\s+LAG\s+CONNECTIONS\s+OUTSTANDING\s+NODES\s+WATCHES", table.Lines[0]);
        Assert.Matches($@"^{Servers}\s+standalone\s+0x[0-9a-f]+\s+0\s+\d+\s+\d+\s+[1-9][0-9]*\s+\d+", table.Lines[1]);
        Assert.StartsWith("1 server(s), 1 serving, highest zxid 0x", table.Lines[2]);

        var json = Ok(await Coord.RunAsync("status", "--servers", Servers, "--json"));
        using var doc = JsonDocument.Parse(json.Stdout);
        var s = doc.RootElement.GetProperty("servers")[0];
        Assert.Equal("standalone", s.GetProperty("mode").GetString());
        Assert.True(s.GetProperty("serving").GetBoolean());
        Assert.Equal(0, s.GetProperty("lag").GetInt64());
        Assert.Matches("^0x[0-9a-f]+$", s.GetProperty("zxid").GetString());
        Assert.True(s.GetProperty("nodeCount").GetInt64() >= 4);

        var dead = $"127.0.0.1:{FreePorts.Next()}";
        var partial = await Coord.RunAsync("status", "--servers", $"{Servers},{dead}", "--timeout", "2000");
        output.WriteLine(partial.Describe());
        Assert.Equal(1, partial.ExitCode);
        Assert.Matches($@"^{dead}\s+unreachable\s+-\s+-", partial.Lines[2]);
        Assert.StartsWith("2 server(s), 1 serving", partial.Lines[3]);
    }

    [Fact]
    public async Task UnreachableServerFailsWithinTheTimeout()
    {
        var dead = $"127.0.0.1:{FreePorts.Next()}";
        var r = await Coord.RunAsync("-server", dead, "-timeout", "1500", "ls", "/");
        output.WriteLine(r.Describe());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Could not connect to {dead}", r.Stderr);
    }
}

[Collection(SiloCollection.Name)]
public sealed class ShellOnSilo(SiloServer server, ITestOutputHelper output) : ShellTests(server.Server, output);

[Collection(ZooKeeperCollection.Name)]
public sealed class ShellOnZooKeeper(ZooKeeperServer server, ITestOutputHelper output) : ShellTests(server.Server, output);

/// <summary>
/// The same commands against a 3-silo ensemble, every process given all three silos, so that consecutive commands land on
/// different silos (a new session is a txn, so a silo that has accepted it has applied every earlier write).
/// </summary>
[Collection(EnsembleCollection.Name)]
public sealed class ShellOnEnsemble(EnsembleServer ensemble, ITestOutputHelper output) : ShellTests(ensemble.Servers, output)
{
    /// <summary>The members' client addresses; ensemble.sh gives members a client port only, shown as 0.0.0.0 as in ZooKeeper.</summary>
    protected override string ExpectedClientConfig =>
        "0 " + string.Join(',', ensemble.Ids.Select(i => $"0.0.0.0:{ensemble.ClientBase + i}"));

    /// <summary>In an ensemble /zookeeper/config lists the members, as Apache ZooKeeper's does.</summary>
    [Fact]
    public override async Task VersionConfigPrintwatchesHelpAndUnknownCommands()
    {
        Assert.StartsWith("ZooKeeper CLI version: ", Ok(await Zk("version")).Stdout);
        var config = Ok(await Zk("config"));
        Assert.Equal(
            [.. ensemble.Ids.Select(i => $"server.{i}")],
            config.Lines.Where(l => l.StartsWith("server.", StringComparison.Ordinal)).Select(l => l[..l.IndexOf('=')]));
        foreach (var i in ensemble.Ids)
        {
            Assert.Contains(config.Lines, l => l.StartsWith($"server.{i}=127.0.0.1:{ensemble.QuorumBase + i}:{ensemble.ElectionBase + i}:participant;", StringComparison.Ordinal)
                && l.EndsWith($":{ensemble.ClientBase + i}", StringComparison.Ordinal));
        }

        Assert.Matches("^version=[0-9a-f]+$", config.Lines[^1]);
        Stdout(Ok(await Zk("printwatches")), "printwatches is on");
        Fails(await Zk("bogus", "x"), "Command not found: Command not found bogus", code: 127);
    }

    /// <summary>Status of the whole ensemble through the shell's server list, with one more server that does not answer.</summary>
    [Fact]
    public override async Task StatusShowsModeZxidLagAndConnections()
    {
        var dead = $"127.0.0.1:{FreePorts.Next()}";
        var partial = await Coord.RunAsync("status", "--servers", $"{Servers},{dead}", "--timeout", "2000");
        Output.WriteLine(partial.Describe());
        Assert.Equal(1, partial.ExitCode);
        Assert.Equal(1, partial.Lines.Count(l => Regex.IsMatch(l, @"^127\.0\.0\.1:\d+\s+leader\s+0x[0-9a-f]+\s+0\s")));
        Assert.Equal(2, partial.Lines.Count(l => Regex.IsMatch(l, @"^127\.0\.0\.1:\d+\s+follower\s+0x[0-9a-f]+\s+\d+\s")));
        Assert.Contains(partial.Lines, l => Regex.IsMatch(l, $@"^{Regex.Escape(dead)}\s+unreachable\s+-\s+-"));
        Assert.Contains(partial.Lines, l => l.StartsWith("4 server(s), 3 serving", StringComparison.Ordinal));
    }
}
