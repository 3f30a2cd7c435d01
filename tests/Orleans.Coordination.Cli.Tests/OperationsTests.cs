using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Coordination.Cli.Tests.Infrastructure;
using static Orleans.Coordination.Cli.Tests.Infrastructure.Expect;

namespace Orleans.Coordination.Cli.Tests;

/// <summary>
/// The operations commands against a silo process: snapshot on demand through the admin endpoint, log dump and
/// snapshot dump of its data directory, backup/restore/verify, and the interactive shell on a real terminal.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class OperationsOnSilo(SiloServer silo, ITestOutputHelper output)
{
    private async Task<ProcessResult> Run(params string[] args)
    {
        var r = await Coord.RunAsync(args);
        output.WriteLine(r.Describe());
        return r;
    }

    private async Task<ProcessResult> Shell(params string[] lines)
    {
        var r = await Coord.ShellAsync(silo.Server, lines);
        output.WriteLine(r.Describe());
        return r;
    }

    [Fact]
    public async Task SnapshotOnDemandWithTheAdminToken()
    {
        var b = NewBase("snap");
        Ok(await Shell($"create {b} hello", "quit"));
        var r = Ok(await Run("snapshot", "--server", silo.Admin, "--token", SiloServer.AdminToken));
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("snapshot", doc.RootElement.GetProperty("command").GetString());
        Assert.True(doc.RootElement.GetProperty("id").GetInt64() > 0);
        Assert.Matches("^0x[0-9a-f]+$", doc.RootElement.GetProperty("lastZxid").GetString());
        Assert.True(doc.RootElement.GetProperty("nodeCount").GetInt64() >= 5);

        var denied = await Run("snapshot", "--server", silo.Admin);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("\"error\"", denied.Stdout);
        Assert.Contains($"http://{silo.Admin}/commands/snapshot answered 401 Unauthorized", denied.Stderr);
        Assert.Equal(1, (await Run("snapshot", "--server", silo.Admin, "--token", "wrong-token-wrong-token")).ExitCode);
    }

    [Fact]
    public async Task SnapshotSaysSoWhenTheEndpointIsMissingOrUnreachable()
    {
        var port = FreePorts.Next();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.StatusCode = 404;
            context.Response.Close();
            return (context.Request.HttpMethod, context.Request.Url!.AbsolutePath);
        });
        var missing = await Run("snapshot", "--server", $"127.0.0.1:{port}", "--token", SiloServer.AdminToken);
        Assert.Equal(("POST", "/commands/snapshot"), await serve);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"error: http://127.0.0.1:{port}/commands/snapshot answered 404 Not Found: this silo's admin endpoint has no POST /commands/snapshot", missing.Stderr);
        listener.Stop();

        var unreachable = await Run("snapshot", "--server", $"127.0.0.1:{FreePorts.Next()}");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.StartsWith("error: cannot reach the admin endpoint", unreachable.Stderr);
        Fails(await Run("snapshot"), "error: snapshot needs --server HOST:ADMINPORT (the silo's admin endpoint); to read stored snapshots use 'coord snapshot dump --data-dir DIR'");
    }

    [Fact]
    public async Task LogDumpOfTheRunningSilosDataDirectory()
    {
        var b = NewBase("log");
        Ok(await Shell($"create {b} hello", $"set {b} world", $"create -e {b}/e", $"setAcl {b} world:anyone:cdrwa", $"delete {b}/e", $"create -c {b}/c", $"create -t 60000 {b}/t x", "quit"));

        var text = Ok(await Run("log", "dump", "--data-dir", silo.DataDir));
        var lines = text.Lines;
        Assert.Matches(@"^Orleans\.Coordination transaction log .+/log: \d+ segment\(s\), zxids 0x[0-9a-f]+ to 0x[0-9a-f]+$", lines[0]);
        var records = lines[1..^1];
        const string Prefix = @"^\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d:\d\d (AM|PM) UTC session 0x[0-9a-f]+ cxid 0x[0-9a-f]+ zxid 0x[0-9a-f]+ ";
        Assert.All(records, l => Assert.Matches(Prefix + @"\w+", l));
        string[] expected =
        [
            $"create {b},hello,[31,s{{'world,'anyone}}],false,",
            $"setData {b},world,1",
            $"create {b}/e,,[31,s{{'world,'anyone}}],true,",
            $"setACL '{b},v{{s{{31,s{{'world,'anyone}}}}}},1",
            $"delete '{b}/e",
            $"createContainer {b}/c,,[31,s{{'world,'anyone}}],",
            $"createTtl {b}/t,x,[31,s{{'world,'anyone}}],",
        ];
        var at = 0;
        foreach (var e in expected)
        {
            var found = Array.FindIndex(records, at, l => Regex.IsMatch(l, Prefix + Regex.Escape(e)));
            Assert.True(found >= 0, $"no record '{e}' after record {at}\n{text.Describe()}");
            at = found + 1;
        }

        Assert.Contains(records, l => Regex.IsMatch(l, Prefix + @"createSession \d+$"));
        Assert.Contains(records, l => Regex.IsMatch(l, Prefix + "closeSession$"));
        Assert.Matches($"^createTtl {Regex.Escape(b)}/t,x,.*,60000$", Regex.Replace(records.First(l => l.Contains($" createTtl {b}/t,", StringComparison.Ordinal)), Prefix, ""));
        Assert.Equal($"EOF reached after {records.Length} txns.", lines[^1]);

        var json = Ok(await Run("log", "dump", "--data-dir", silo.DataDir, "--json"));
        using var doc = JsonDocument.Parse(json.Stdout);
        var all = doc.RootElement.GetProperty("records").EnumerateArray().ToList();
        Assert.True(all.Count >= records.Length);
        Assert.Equal(all.Count, doc.RootElement.GetProperty("count").GetInt32());
        var zxids = all.Select(r => Hex(r.GetProperty("zxid").GetString()!)).ToList();
        Assert.True(zxids.SequenceEqual(zxids.Order()) && zxids.Distinct().Count() == zxids.Count, "zxids increase");
        var create = all.Single(r => r.GetProperty("type").GetString() == "create" && r.GetProperty("path").GetString() == b);
        Assert.Equal("hello", create.GetProperty("dataText").GetString());
        Assert.Equal("aGVsbG8=", create.GetProperty("data").GetString());
        Assert.False(create.GetProperty("ephemeral").GetBoolean());
        Assert.Equal("cdrwa", create.GetProperty("acl")[0].GetProperty("perms").GetString());
        var set = all.Single(r => r.GetProperty("type").GetString() == "setData" && r.GetProperty("path").GetString() == b);
        Assert.Equal(1, set.GetProperty("version").GetInt32());
        Assert.Equal(60000, all.Single(r => r.GetProperty("type").GetString() == "createTtl" && r.GetProperty("path").GetString() == $"{b}/t").GetProperty("ttl").GetInt64());

        // --from-zxid: only what follows.
        var createZxid = create.GetProperty("zxid").GetString()!;
        var tail = Ok(await Run("log", "dump", "--data-dir", silo.DataDir, "--from-zxid", createZxid));
        Assert.Contains($" setData {b},world,1", tail.Lines[1]);

        // The silo is unharmed.
        Stdout(Ok(await Coord.ZkAsync(silo.Server, "get", b)), "world");
        Fails(await Run("log", "dump", "--data-dir", Path.Combine(silo.Directory, "nope")), $"error: {Path.Combine(silo.Directory, "nope")}: no such directory");
        Fails(await Run("log", "dump", "--data-dir", silo.Directory), $"error: {silo.Directory} holds no transaction log ({Path.Combine(silo.Directory, "log")} does not exist); --data-dir is the silo's dataDir");
    }

    [Fact]
    public async Task LogDumpNeverModifiesTheLogEvenWithATornTail()
    {
        Ok(await Shell($"create {NewBase("torn")} x", "quit"));
        var copy = Repository.NewScratchDirectory("torn");
        try
        {
            var logCopy = Path.Combine(copy, "log");
            Directory.CreateDirectory(logCopy);
            foreach (var file in Directory.GetFiles(Path.Combine(silo.DataDir, "log")))
            {
                File.Copy(file, Path.Combine(logCopy, Path.GetFileName(file)));
            }

            var before = Ok(await Run("log", "dump", "--data-dir", copy));
            var count = before.Lines.Length - 2;
            var segment = Directory.GetFiles(logCopy).Order(StringComparer.Ordinal).Last();
            var bytes = await File.ReadAllBytesAsync(segment);
            var end = ValidEnd(bytes);
            Assert.True(end + 16 < bytes.Length, "the segment has room after its last record");
            bytes.AsSpan(end, 16).Fill(0xAB); // a record header cut short: what a crash mid-write leaves
            await File.WriteAllBytesAsync(segment, bytes);
            var hash = SHA256.HashData(bytes);

            var torn = Ok(await Run("log", "dump", "--data-dir", copy));
            Assert.Equal(count, torn.Lines.Length - 2);
            Assert.Contains("note: Truncated torn tail of transaction log segment", torn.Stderr);
            Assert.Contains("(in the dump only: the files were not modified)", torn.Stderr);
            Assert.Equal(hash, SHA256.HashData(await File.ReadAllBytesAsync(segment)));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task SnapshotDumpShowsTheNewestSnapshot()
    {
        var b = NewBase("snapdump");
        Ok(await Shell($"create {b} parent", $"create {b}/n hello", $"create -e {b}/eph", "quit"));
        Ok(await Run("snapshot", "--server", silo.Admin, "--token", SiloServer.AdminToken));

        var text = Ok(await Run("snapshot", "dump", "--data-dir", silo.DataDir));
        var lines = text.Lines;
        Assert.Matches(@"^Snapshot \d+ in sqlite:.+/snapshots\.db$", lines[0]);
        Assert.Matches(@"^  digest = [0-9a-f]{16} \(verified\)$", lines.Single(l => l.StartsWith("  digest = ", StringComparison.Ordinal)));
        Assert.Matches(@"^ZNode Details \(count=\d+\):$", lines.Single(l => l.StartsWith("ZNode Details", StringComparison.Ordinal)));
        var node = Array.IndexOf(lines, $"{b}/n");
        Assert.True(node > 0, text.Describe());
        Assert.Equal("----", lines[node - 1]);
        Assert.Matches("^  cZxid = 0x[0-9a-f]{14,}$", lines[node + 1]);
        Assert.Matches(@"^  ctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$", lines[node + 2]);
        Assert.Equal("  dataLength = 5", lines[node + 10]);
        Assert.Equal("  acl = [31,s{'world,'anyone}]", lines[node + 12]);
        Assert.True(Array.IndexOf(lines, b) < node, "parents come before their children");
        Assert.Contains("Session Details (sid, timeout, ephemeralCount):", lines);
        Assert.Matches("^Last zxid: 0x[0-9a-f]+$", lines[^1]);

        var json = Ok(await Run("snapshot", "dump", "--data-dir", silo.DataDir, "--json", "--data"));
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.True(doc.RootElement.GetProperty("digestVerified").GetBoolean());
        var n = doc.RootElement.GetProperty("nodes").EnumerateArray().Single(e => e.GetProperty("path").GetString() == $"{b}/n");
        Assert.Equal("aGVsbG8=", n.GetProperty("data").GetString());
        Assert.Equal(5, n.GetProperty("dataLength").GetInt32());
        var id = doc.RootElement.GetProperty("snapshot").GetProperty("id").GetInt64();
        Assert.Equal(id, doc.RootElement.GetProperty("snapshots")[0].GetProperty("id").GetInt64());

        Ok(await Run("snapshot", "dump", "--data-dir", silo.DataDir, "--id", id.ToString(CultureInfo.InvariantCulture)));
        Assert.StartsWith("error: no snapshot 999999 in sqlite:", (await Run("snapshot", "dump", "--data-dir", silo.DataDir, "--id", "999999")).Stderr);
        Fails(await Run("snapshot", "dump", "--data-dir", silo.Directory), $"error: {silo.Directory} holds no snapshot store (snapshots.db not found); --data-dir is the silo's dataDir");
    }

    [Fact]
    public async Task BackupRestoreAndVerifyKeepWorking()
    {
        var b = NewBase("backup");
        Ok(await Shell($"create {b} kept", "quit"));
        var dir = Repository.NewScratchDirectory("backup");
        try
        {
            var file = Path.Combine(dir, "backup.bin");
            var backup = Ok(await Run("backup", "--server", silo.Server, "--to", file));
            Assert.Matches(@"^Backup written to .+backup\.bin: zxid 0x[0-9a-f]+, \d+ nodes, digest [0-9a-f]{16}, \d+ bytes$", backup.Lines.Single());
            var target = Path.Combine(dir, "restored");
            var restore = Ok(await Run("restore", "--from", file, "--data-dir", target));
            Assert.StartsWith("Restored ", restore.Lines.Single());
            var verify = Ok(await Run("verify", "--data-dir", target));
            Assert.StartsWith("recovered: zxid 0x", verify.Lines[0]);
            Assert.StartsWith("replay from scratch: not possible, the log is empty", verify.Lines[1]);

            var dump = Ok(await Run("snapshot", "dump", "--data-dir", target));
            Assert.Contains(b, dump.Lines);
            Stdout(Ok(await Run("log", "dump", "--data-dir", target)), $"Orleans.Coordination transaction log {Path.Combine(target, "log")}: 0 segment(s), empty", "EOF reached after 0 txns.");
            Fails(await Run("restore", "--from", Path.Combine(dir, "missing.bin"), "--data-dir", Path.Combine(dir, "other")), $"error: {Path.Combine(dir, "missing.bin")}: no such file");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task InteractiveShellOnATerminalEditsLinesAndKeepsHistory()
    {
        var b = NewBase("tty");
        Ok(await Coord.ZkAsync(silo.Server, "create", b, "one"));
        await using var term = await Terminal.StartAsync("-server", silo.Server);
        try
        {
            string Prompt(int n) => $"[zk: {silo.Server}(CONNECTED) {n}] ";
            await term.WaitForAsync("Line editing is enabled");
            await term.WaitForAsync(Prompt(0));

            // A typo fixed in place: "gxet" -> Ctrl+A, right, Delete -> "get".
            await term.SendAsync($"gxet {b}");
            await term.SendAsync("\u0001\u001b[C\u001b[3~\r");
            await term.WaitForAsync("\none\r\n");
            await term.WaitForAsync(Prompt(1));

            // Up arrow recalls the line; left/backspace edit it: "get {b}" -> "get {b}" minus its last char plus it again.
            await term.SendAsync("\u001b[A");
            await term.SendAsync("\u001b[D\u007f" + b[^2] + "\r");
            await term.WaitForAsync("\none\r\n");
            await term.WaitForAsync(Prompt(2));

            // Tab completes command names; history shows what ran.
            await term.SendAsync("hist\t\r");
            await term.WaitForAsync($"0 - get {b}\r\n1 - get {b}\r\n2 - history \r\n");
            await term.WaitForAsync(Prompt(3));

            // Ctrl+C abandons the line.
            await term.SendAsync("bogus-command\u0003");
            await term.WaitForAsync("^C");
            await term.WaitForAsync(Prompt(3));

            // A watch fired by another client while the shell waits for input is printed, then the prompt comes back.
            await term.SendAsync($"get -w {b}\r");
            await term.WaitForAsync(Prompt(4));
            Ok(await Coord.ZkAsync(silo.Server, "set", b, "two"));
            await term.WaitForAsync($"WatchedEvent state:SyncConnected type:NodeDataChanged path:{b}");
            await term.WaitForAsync(Prompt(4));

            await term.SendAsync("quit\r");
            await term.WaitForAsync("WatchedEvent state:Closed type:None path:null");
            Assert.Equal(0, await term.WaitForExitAsync());
            Assert.DoesNotContain("Command not found", term.Transcript);
        }
        finally
        {
            output.WriteLine(Terminal.Printable(term.Transcript));
        }
    }

    private static long Hex(string s) => long.Parse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    // The log format: a 16-byte segment header, then records [length int32 LE][crc uint32][zxid + payload: length bytes]
    // until a zero length.
    private static int ValidEnd(byte[] segment)
    {
        var offset = 16;
        while (offset + 8 <= segment.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(segment.AsSpan(offset));
            if (length <= 0)
            {
                break;
            }

            offset += 8 + length;
        }

        return offset;
    }
}
