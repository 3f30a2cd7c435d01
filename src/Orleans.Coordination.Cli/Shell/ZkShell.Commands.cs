using System.Globalization;
using System.Text;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Cli.Shell;

internal sealed partial class ZkShell
{
    private const int DefaultDeleteBatch = 1000;
    private const long MaxTtl = (1L << 40) - 1;

    private IEnumerable<ShellCommand> Commands() =>
    [
        new("addWatch", "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE", true, AddWatchAsync),
        new("addauth", "addauth scheme auth", true, AddAuthAsync),
        new("close", "close ", false, CloseAsync),
        new("config", "config [-c] [-w] [-s]", true, ConfigAsync),
        new("connect", "connect host:port", false, ConnectCommandAsync),
        new("create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]", true, CreateAsync),
        new("delete", "delete [-v version] path", true, DeleteAsync),
        new("deleteall", "deleteall path [-b batch size]", true, DeleteAllAsync),
        new("get", "get [-s] [-w] path", true, GetAsync),
        new("getAcl", "getAcl [-s] path", true, GetAclAsync),
        new("getAllChildrenNumber", "getAllChildrenNumber path", true, GetAllChildrenNumberAsync),
        new("getEphemerals", "getEphemerals path", true, GetEphemeralsAsync),
        new("help", "help ", false, HelpAsync),
        new("history", "history ", false, HistoryAsync),
        new("ls", "ls [-s] [-w] [-R] path", true, LsAsync),
        new("printwatches", "printwatches on|off", false, PrintWatchesAsync),
        new("quit", "quit ", false, QuitAsync),
        new("redo", "redo cmdno", false, RedoAsync),
        new("removewatches", "removewatches path [-c|-d|-a|-p|-r] [-l]", true, RemoveWatchesAsync),
        new("set", "set [-s] [-v version] path data", true, SetAsync),
        new("setAcl", "setAcl [-s] [-v version] [-R] path acl", true, SetAclAsync),
        new("stat", "stat [-w] path", true, StatAsync),
        new("sync", "sync path", true, SyncAsync),
        new("version", "version ", false, VersionAsync),
        new("whoami", "whoami ", true, WhoAmIAsync),
    ];

    private static CliUsageException Usage() => new("");

    private static string PathArgument(CommandOptions o, int index = 1)
    {
        if (o.Arguments.Count <= index)
        {
            throw Usage();
        }

        var path = o.Arguments[index];
        ZkPaths.Validate(path);
        return path;
    }

    private static int Version(CommandOptions o) =>
        o.IntValue('v', -1, $"-v argument must be an int value, got '{o.Value('v')}'");

    private async Task<int> LsAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "swR");
        var path = PathArgument(o);
        var watch = o.Has('w');
        if (o.Has('R'))
        {
            await VisitSubtreeAsync(path, watch, _console.WriteLine);
            return 0;
        }

        IReadOnlyList<string> children;
        Stat stat;
        if (watch)
        {
            var watched = await Client.WatchChildrenAsync(path);
            TrackWatch('c', path, watched.Changed);
            (children, stat) = (watched.Children, watched.Stat);
        }
        else
        {
            (children, stat) = await Client.GetChildrenWithStatAsync(path);
        }

        _console.WriteLine(ZkFormat.JavaList(children.Order(StringComparer.Ordinal)));
        if (o.Has('s'))
        {
            _console.WriteLines(ZkFormat.StatLines(stat));
        }

        return 0;
    }

    // ZKUtil.visitSubTreeDFS: the root (read, so that a missing root is an error), then each node's sorted children
    // before descending into them.
    private async Task VisitSubtreeAsync(string path, bool watch, Action<string> visit)
    {
        if (watch)
        {
            TrackWatch('d', path, (await Client.WatchDataAsync(path)).Changed);
        }
        else
        {
            await Client.GetDataAsync(path);
        }

        visit(path);
        await VisitChildrenAsync(path, watch, visit);
    }

    private async Task VisitChildrenAsync(string path, bool watch, Action<string> visit)
    {
        IReadOnlyList<string> children;
        try
        {
            if (watch)
            {
                var watched = await Client.WatchChildrenAsync(path);
                TrackWatch('c', path, watched.Changed);
                children = watched.Children;
            }
            else
            {
                children = await Client.GetChildrenAsync(path);
            }
        }
        catch (NoNodeException)
        {
            return; // deleted while we walked
        }

        var sorted = children.Order(StringComparer.Ordinal).Select(c => ZkPaths.Child(path, c)).ToList();
        foreach (var child in sorted)
        {
            visit(child);
        }

        foreach (var child in sorted)
        {
            await VisitChildrenAsync(child, watch, visit);
        }
    }

    private async Task<int> GetAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "sw");
        var path = PathArgument(o);
        var result = await GetDataAsync(path, o.Has('w'));
        // The client cannot tell null data from empty data; zkCli prints a node created without data as "null".
        _console.WriteLine(ZkFormat.Data(result.Data.Length == 0 ? null : result.Data));
        if (o.Has('s'))
        {
            _console.WriteLines(ZkFormat.StatLines(result.Stat));
        }

        return 0;
    }

    private async Task<DataResult> GetDataAsync(string path, bool watch)
    {
        if (!watch)
        {
            return await Client.GetDataAsync(path);
        }

        var watched = await Client.WatchDataAsync(path);
        TrackWatch('d', path, watched.Changed);
        return new DataResult(watched.Data, watched.Stat);
    }

    private async Task<int> SetAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "s", "v");
        if (o.Arguments.Count < 3)
        {
            throw Usage();
        }

        var path = PathArgument(o);
        var stat = await Client.SetDataAsync(path, Encoding.UTF8.GetBytes(o.Arguments[2]), Version(o));
        if (o.Has('s'))
        {
            _console.WriteLines(ZkFormat.StatLines(stat));
        }

        return 0;
    }

    private async Task<int> CreateAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "sec", "t");
        if (o.Arguments.Count < 2)
        {
            throw Usage();
        }

        bool e = o.Has('e'), s = o.Has('s'), c = o.Has('c'), t = o.Has('t');
        if (c && (e || s))
        {
            throw new CliException("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.");
        }

        long ttl = 0;
        if (t && !long.TryParse(o.Value('t'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ttl))
        {
            throw new CliException("-t argument must be a long value");
        }

        if (t && e)
        {
            throw new CliException("TTLs cannot be used with Ephemeral znodes");
        }

        if (t && c)
        {
            throw new CliException("TTLs cannot be used with Container znodes");
        }

        var mode = (e, s, c, t) switch
        {
            (true, true, _, _) => CreateMode.EphemeralSequential,
            (true, false, _, _) => CreateMode.Ephemeral,
            (false, true, _, true) => CreateMode.PersistentSequentialWithTtl,
            (false, true, _, false) => CreateMode.PersistentSequential,
            (false, false, true, _) => CreateMode.Container,
            (false, false, false, true) => CreateMode.PersistentWithTtl,
            _ => CreateMode.Persistent,
        };
        if (t && (ttl <= 0 || ttl > MaxTtl))
        {
            throw new CliException($"ttl must be positive and cannot be larger than: {MaxTtl}");
        }

        var path = o.Arguments[1];
        ZkPaths.Validate(path, sequential: s);
        var data = o.Arguments.Count > 2 ? Encoding.UTF8.GetBytes(o.Arguments[2]) : null;
        var acl = o.Arguments.Count > 3 ? ZkFormat.ParseAcl(o.Arguments[3], _console.Error) : null;
        try
        {
            var created = await Client.CreateAsync(path, data, acl, mode, t ? ttl : null);
            _console.WriteLine($"Created {created}");
            return 0;
        }
        catch (EphemeralOnLocalSessionException)
        {
            _console.Error("Unable to create ephemeral node on a local session");
            throw;
        }
        catch (InvalidAclException ex)
        {
            _console.Error(ZkFormat.KeeperErrorCode(ex.Code, ex.Path));
            throw;
        }
    }

    private async Task<int> DeleteAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "", "v");
        var path = PathArgument(o);
        await Client.DeleteAsync(path, Version(o));
        return 0;
    }

    // ZKUtil.deleteRecursive: the subtree breadth first, deleted deepest first in multi batches. The root and the
    // /zookeeper system nodes are left alone (the server refuses to delete them), so "deleteall /" empties the tree.
    private async Task<int> DeleteAllAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "", "b");
        var path = PathArgument(o);
        var batch = o.IntValue('b', DefaultDeleteBatch, "-b argument must be an int value");
        if (batch <= 0)
        {
            throw new CliException("batch size must be a positive integer");
        }

        var tree = new List<string> { path };
        for (var i = 0; i < tree.Count; i++)
        {
            try
            {
                var children = await Client.GetChildrenAsync(tree[i]);
                tree.AddRange(children.Select(c => ZkPaths.Child(tree[i], c)));
            }
            catch (NoNodeException) when (i > 0)
            {
                // Deleted meanwhile.
            }
        }

        tree.RemoveAll(p => p is "/" or "/zookeeper" || p.StartsWith("/zookeeper/", StringComparison.Ordinal));
        tree.Reverse();
        var failed = false;
        foreach (var chunk in tree.Chunk(batch))
        {
            try
            {
                await Client.MultiAsync(chunk.Select(p => (Op)new Op.Delete(p)));
            }
            catch (KeeperException e) when (e is not ConnectionLossException and not SessionExpiredException)
            {
                // Someone changed the subtree meanwhile: delete one by one, tolerating nodes already gone.
                foreach (var p in chunk)
                {
                    try
                    {
                        await Client.DeleteAsync(p);
                    }
                    catch (NoNodeException)
                    {
                    }
                    catch (KeeperException)
                    {
                        failed = true;
                    }
                }
            }
        }

        if (failed)
        {
            _console.Error("Failed to delete some node(s) in the subtree!");
            return 1;
        }

        return 0;
    }

    private async Task<int> StatAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "w");
        var path = PathArgument(o);
        Stat? stat;
        if (o.Has('w'))
        {
            var watched = await Client.WatchExistsAsync(path);
            TrackWatch('d', path, watched.Changed);
            stat = watched.Stat;
        }
        else
        {
            stat = await Client.ExistsAsync(path);
        }

        if (stat is not { } s)
        {
            throw new NoNodeException(path);
        }

        _console.WriteLines(ZkFormat.StatLines(s));
        return 0;
    }

    private async Task<int> GetAclAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "s");
        var path = PathArgument(o);
        var result = await Client.GetAclAsync(path);
        _console.WriteLines(ZkFormat.AclLines(result.Acl));
        if (o.Has('s'))
        {
            _console.WriteLines(ZkFormat.StatLines(result.Stat));
        }

        return 0;
    }

    private async Task<int> SetAclAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "sR", "v");
        if (o.Arguments.Count < 3)
        {
            throw Usage();
        }

        var path = PathArgument(o);
        var version = Version(o);
        var acl = ZkFormat.ParseAcl(o.Arguments[2], _console.Error);
        if (o.Has('R'))
        {
            var paths = new List<string>();
            await VisitSubtreeAsync(path, watch: false, paths.Add);
            foreach (var p in paths)
            {
                await Client.SetAclAsync(p, acl, version);
            }

            return 0;
        }

        var stat = await Client.SetAclAsync(path, acl, version);
        if (o.Has('s'))
        {
            _console.WriteLines(ZkFormat.StatLines(stat));
        }

        return 0;
    }

    private async Task<int> AddAuthAsync(IReadOnlyList<string> words)
    {
        if (words.Count < 2)
        {
            throw Usage();
        }

        await Client.AddAuthAsync(words[1], words.Count > 2 ? Encoding.UTF8.GetBytes(words[2]) : []);
        return 0;
    }

    private async Task<int> WhoAmIAsync(IReadOnlyList<string> words)
    {
        var identities = await Client.WhoAmIAsync();
        _console.WriteLine("Auth scheme: User");
        _console.WriteLines(identities.Select(i => $"{i.AuthScheme}: {i.User}"));
        return 0;
    }

    private async Task<int> SyncAsync(IReadOnlyList<string> words)
    {
        var path = PathArgument(CommandOptions.Parse(words, ""));
        await Client.SyncAsync(path);
        _console.WriteLine("Sync is OK");
        return 0;
    }

    private async Task<int> GetEphemeralsAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "");
        var path = o.Arguments.Count > 1 ? PathArgument(o) : "/";
        var ephemerals = await Client.GetEphemeralsAsync(path);
        _console.WriteLine(ZkFormat.JavaList(ephemerals));
        return 0;
    }

    private async Task<int> GetAllChildrenNumberAsync(IReadOnlyList<string> words)
    {
        var path = PathArgument(CommandOptions.Parse(words, ""));
        _console.WriteLine((await Client.GetAllChildrenNumberAsync(path)).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private async Task<int> AddWatchAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "", "m");
        var path = PathArgument(o);
        var mode = o.Value('m')?.ToUpperInvariant() switch
        {
            null or "PERSISTENT_RECURSIVE" => AddWatchMode.PersistentRecursive,
            "PERSISTENT" => AddWatchMode.Persistent,
            _ => throw Usage(),
        };
        TrackWatch(await Client.AddWatchAsync(path, mode));
        return 0;
    }

    private async Task<int> RemoveWatchesAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "cdaprl");
        var path = PathArgument(o);
        var type = o.Has('c') ? WatcherType.Children
            : o.Has('d') ? WatcherType.Data
            : o.Has('p') ? WatcherType.Persistent
            : o.Has('r') ? WatcherType.PersistentRecursive
            : WatcherType.Any;
        await Client.RemoveWatchesAsync(path, type, o.Has('l'));
        return 0;
    }

    private async Task<int> ConfigAsync(IReadOnlyList<string> words)
    {
        var o = CommandOptions.Parse(words, "cws");
        // getConfig is a read of /zookeeper/config (outside any chroot).
        var path = Client.Chroot is null ? "/zookeeper/config" : throw new CliException("config is not available through a chroot");
        var result = await GetDataAsync(path, o.Has('w'));
        var text = Encoding.UTF8.GetString(result.Data);
        _console.WriteLine(o.Has('c') ? ClientConfig(text) : text);
        if (o.Has('s'))
        {
            _console.WriteLines(ZkFormat.StatLines(result.Stat));
        }

        return 0;
    }

    // ConfigUtils.getClientConfigStr: "version host:clientPort,..." from server.N=host:p1:p2[:role];[clientHost:]clientPort lines.
    private static string ClientConfig(string config)
    {
        var version = "";
        var hosts = new List<string>();
        foreach (var raw in config.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var key = raw[..eq];
            var value = raw[(eq + 1)..];
            if (key == "version")
            {
                version = value;
            }
            else if (key.StartsWith("server.", StringComparison.Ordinal) && value.Split(';') is [var server, var client, ..])
            {
                hosts.Add(client.Contains(':', StringComparison.Ordinal) ? client : $"{server.Split(':')[0]}:{client}");
            }
        }

        return $"{version} {string.Join(',', hosts)}";
    }

    private Task<int> PrintWatchesAsync(IReadOnlyList<string> words)
    {
        if (words.Count == 1)
        {
            _console.WriteLine($"printwatches is {(_printWatches ? "on" : "off")}");
        }
        else
        {
            _printWatches = words[1] == "on";
        }

        return Task.FromResult(0);
    }

    private Task<int> HistoryAsync(IReadOnlyList<string> words)
    {
        for (var i = _commandCount - 10; i <= _commandCount; i++)
        {
            if (i >= 0 && _history.TryGetValue(i, out var line))
            {
                _console.WriteLine($"{i} - {line}");
            }
        }

        return Task.FromResult(0);
    }

    private async Task<int> RedoAsync(IReadOnlyList<string> words)
    {
        if (words.Count < 2)
        {
            throw Usage();
        }

        if (!int.TryParse(words[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index) || index < 0 || index >= _commandCount)
        {
            throw new CliException("Command index out of range");
        }

        var line = _history[index];
        var redone = CommandTokenizer.Split(line);
        if (redone.Length > 0 && redone[0] == "redo")
        {
            throw new CliException("No redoing redos");
        }

        _history[_commandCount] = line;
        return redone.Length == 0 ? 0 : await ExecuteAsync(redone);
    }

    private Task<int> VersionAsync(IReadOnlyList<string> words)
    {
        _console.WriteLine($"ZooKeeper CLI version: {CliVersion()}");
        return Task.FromResult(0);
    }

    private Task<int> HelpAsync(IReadOnlyList<string> words)
    {
        PrintUsage();
        return Task.FromResult(0);
    }

    private async Task<int> ConnectCommandAsync(IReadOnlyList<string> words)
    {
        await ConnectAsync(words.Count > 1 ? words[1] : _host);
        if (!_interactive)
        {
            await EnsureConnectedAsync();
        }

        return 0;
    }

    private async Task<int> CloseAsync(IReadOnlyList<string> words)
    {
        await CloseClientAsync(announce: _interactive);
        return 0;
    }

    private Task<int> QuitAsync(IReadOnlyList<string> words)
    {
        _quit = true;
        return Task.FromResult(0);
    }
}
