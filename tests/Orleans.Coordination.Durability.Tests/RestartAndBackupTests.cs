using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>Sessions across a kill -9, and backup under write load restored into a new directory.</summary>
public sealed class RestartAndBackupTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coord-restart-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task SessionsSurviveARestartWithinTheirTimeout_WithTheirEphemerals_AndExpireOtherwise()
    {
        var port = SiloProcess.FreePort();
        var data = Path.Combine(_dir, "data");
        long keptId, lostId;
        byte[] keptPasswd;
        await using (var silo = await SiloProcess.StartAsync(data, port, "--tickTime", "500"))
        {
            var kept = await WireClient.ConnectAsync(port, timeoutMs: 10_000);
            var lost = await WireClient.ConnectAsync(port, timeoutMs: 1_000);
            Assert.Equal(ErrorCode.Ok, (await kept.CallAsync(OpCode.Create, new CreateRequest("/kept", [1], Acl.OpenAclUnsafe, (int)CreateMode.Ephemeral))).Header.Err);
            Assert.Equal(ErrorCode.Ok, (await lost.CallAsync(OpCode.Create, new CreateRequest("/lost", [2], Acl.OpenAclUnsafe, (int)CreateMode.Ephemeral))).Header.Err);
            (keptId, keptPasswd, lostId) = (kept.SessionId, kept.Passwd, lost.SessionId);
            silo.Kill();
            await kept.DisposeAsync();
            await lost.DisposeAsync();
        }

        await using var again = await SiloProcess.StartAsync(data, port, "--tickTime", "500");
        var (client, expired) = await WireClient.ReattachAsync(port, keptId, keptPasswd, 10_000);
        Assert.False(expired, "a session within its timeout must survive the restart");
        await using var c = client!;
        var node = await c.GetDataAsync("/kept");
        Assert.NotNull(node);
        Assert.Equal(keptId, node.Value.Stat.EphemeralOwner);

        // The 1 s session nobody re-attached expires, and its ephemeral goes with it.
        var deadline = Stopwatch.StartNew();
        while (await c.GetDataAsync("/lost") is not null && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100);
        }

        Assert.Null(await c.GetDataAsync("/lost"));
        Assert.NotEqual(lostId, keptId);
    }

    [Fact]
    public async Task BackupUnderWriteLoad_RestoresIntoANewDirectory_WithEveryNodeAsOfTheBackupZxid()
    {
        var port = SiloProcess.FreePort();
        var source = Path.Combine(_dir, "source");
        var backupFile = Path.Combine(_dir, "tree.bak");
        var restoredParent = Path.Combine(_dir, "restored");
        Dictionary<string, (byte[]? Data, Stat Stat)> sourceNodes;
        await using (var silo = await SiloProcess.StartAsync(source, port))
        {
            using var stop = new CancellationTokenSource();
            var progress = new StrongBox<long>();
            var load = WriteLoadAsync(port, progress, stop.Token);

            // The backup is taken while writes are going on, and writes go on after it.
            await WaitForAsync(() => Interlocked.Read(ref progress.Value) >= 200);
            var (code, text) = await Cli.RunAsync("backup", "--server", $"127.0.0.1:{port}", "--to", backupFile);
            Assert.True(code == 0, text);
            var afterBackup = Interlocked.Read(ref progress.Value);
            await WaitForAsync(() => Interlocked.Read(ref progress.Value) >= afterBackup + 100);
            stop.Cancel();
            await load;
            sourceNodes = await ReadTreeAsync(port, "/load");
        }

        var (restoreCode, restoreText) = await Cli.RunAsync("restore", "--from", backupFile, "--data-dir", Path.Combine(restoredParent, "s1", "data"));
        Assert.True(restoreCode == 0, restoreText);
        var zxid = long.Parse(restoreText.Split("zxid 0x")[1].Split(',')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        var port2 = SiloProcess.FreePort();
        await using var restored = await SiloProcess.StartAsync(Path.Combine(restoredParent, "s1", "data"), port2);
        var restoredNodes = await ReadTreeAsync(port2, "/load");

        // Exactly the nodes that existed at the backup's zxid (the load only creates and sets data).
        var expected = sourceNodes.Where(kv => kv.Value.Stat.Czxid <= zxid).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, restoredNodes.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var (path, (data, stat)) in restoredNodes)
        {
            var (srcData, srcStat) = sourceNodes[path];
            if (srcStat.Mzxid <= zxid)
            {
                Assert.Equal(srcStat with { Pzxid = stat.Pzxid, Cversion = stat.Cversion, NumChildren = stat.NumChildren }, stat);
                Assert.Equal(srcData ?? [], data ?? []);
            }
            else
            {
                Assert.True(stat.Mzxid <= zxid && stat.Version < srcStat.Version, $"{path} is newer than the backup");
            }
        }

        // A damaged backup is refused and the target directory is left untouched.
        var damaged = Path.Combine(_dir, "damaged.bak");
        var bytes = await File.ReadAllBytesAsync(backupFile);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(damaged, bytes);
        var target = Path.Combine(_dir, "never");
        var (badCode, badText) = await Cli.RunAsync("restore", "--from", damaged, "--data-dir", target);
        Assert.NotEqual(0, badCode);
        Assert.Contains("damaged", badText, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(target));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "the write load made no progress");
            await Task.Delay(20);
        }
    }

    private static async Task<long> WriteLoadAsync(int port, StrongBox<long> progress, CancellationToken stop)
    {
        long n = 0;
        await using var c = await WireClient.ConnectAsync(port);
        await c.CallAsync(OpCode.Create, new CreateRequest("/load", [], Acl.OpenAclUnsafe, 0));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var i = n++;
                await c.CallAsync(OpCode.Create, new CreateRequest($"/load/n{i}", BitConverter.GetBytes(i), Acl.OpenAclUnsafe, 0));
                if (i > 10)
                {
                    await c.CallAsync(OpCode.SetData, new SetDataRequest($"/load/n{i / 2}", BitConverter.GetBytes(-i), -1));
                }

                Interlocked.Exchange(ref progress.Value, n);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return n;
    }

    private static async Task<Dictionary<string, (byte[]? Data, Stat Stat)>> ReadTreeAsync(int port, string root)
    {
        await using var c = await WireClient.ConnectAsync(port);
        var result = new Dictionary<string, (byte[]?, Stat)>(StringComparer.Ordinal);
        foreach (var child in await c.GetChildrenAsync(root))
        {
            var path = root + "/" + child;
            var got = await c.GetDataAsync(path);
            result[path] = got!.Value;
        }

        return result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
