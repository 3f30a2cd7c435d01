using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Storage;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>
/// In-process silos over a simulated disk: torn tails, damage in the middle of the log, a corrupt newest
/// snapshot, fsync failure and a full disk, each seen the way a client or an operator sees it.
/// </summary>
public sealed class DiskFaultTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coord-disk-" + Guid.NewGuid().ToString("N")[..8]);

    private SiloOptions Options(int snapCount = 100_000, bool repair = false) => new()
    {
        DataDir = _dir,
        ClientPort = 0,
        AdminEnabled = false,
        FourLetterWords = ["*"],
        SnapCount = snapCount,
        RepairLog = repair,
    };

    private static async Task<SiloHost> StartAsync(SiloOptions options, ListLogger logs, FaultyFileSystem? fs = null) =>
        await SiloHost.StartAsync(options, b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information), logFileSystem: fs);

    private static async Task CreateNodesAsync(int port, int count, string prefix = "/n")
    {
        await using var c = await WireClient.ConnectAsync(port);
        for (var i = 0; i < count; i++)
        {
            var (h, _) = await c.CallAsync(OpCode.Create, new CreateRequest($"{prefix}{i}", [(byte)i], Acl.OpenAclUnsafe, 0));
            Assert.Equal(ErrorCode.Ok, h.Err);
        }
    }

    private string Segment => Directory.GetFiles(Path.Combine(_dir, StorageNaming.LogDirectoryName), "log.*").Order().Last();

    /// <summary>Offsets of every record in a segment (walking the documented layout).</summary>
    private static List<(long Offset, int Length)> Records(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        var list = new List<(long, int)>();
        var pos = 16;
        while (pos + 8 <= bytes.Length)
        {
            var len = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos));
            if (len == 0)
            {
                break;
            }

            list.Add((pos, 8 + len));
            pos += 8 + len;
        }

        return list;
    }

    [Fact]
    public async Task TornTail_IsTruncatedWithAWarningNamingFileAndOffset_AndEverythingBeforeItServes()
    {
        var logs = new ListLogger();
        await using (var silo = await StartAsync(Options(), logs))
        {
            await CreateNodesAsync(silo.ClientPort, 20);
        }

        // Tear the last record: keep its first half, zero the rest (a write cut short by a power loss).
        var segment = Segment;
        var last = Records(segment)[^1];
        using (var f = File.OpenWrite(segment))
        {
            f.Position = last.Offset + (last.Length / 2);
            f.Write(new byte[last.Length - (last.Length / 2)]);
        }

        var restartLogs = new ListLogger();
        await using var again = await StartAsync(Options(), restartLogs);
        Assert.Contains(restartLogs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(segment, StringComparison.Ordinal) && l.Contains(last.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        await using var c = await WireClient.ConnectAsync(again.ClientPort);
        for (var i = 0; i < 19; i++)
        {
            Assert.NotNull(await c.GetDataAsync($"/n{i}"));
        }
    }

    [Fact]
    public async Task BitFlipInTheMiddleOfTheLog_StopsStartupNamingFileAndOffset_UnlessRepairIsAsked()
    {
        await using (var silo = await StartAsync(Options(), new ListLogger()))
        {
            await CreateNodesAsync(silo.ClientPort, 30);
        }

        var segment = Segment;
        var victim = Records(segment)[10];
        var bytes = File.ReadAllBytes(segment);
        bytes[victim.Offset + 20] ^= 0x40;
        File.WriteAllBytes(segment, bytes);

        var e = await Assert.ThrowsAsync<LogCorruptedException>(() => StartAsync(Options(), new ListLogger()));
        Assert.Contains(segment, e.Message, StringComparison.Ordinal);
        Assert.Equal(victim.Offset, e.Offset);

        // The operator accepts losing what follows the damage.
        await using var repaired = await StartAsync(Options(repair: true), new ListLogger());
        await using var c = await WireClient.ConnectAsync(repaired.ClientPort);
        Assert.NotNull(await c.GetDataAsync("/n0"));
        Assert.Null(await c.GetDataAsync("/n29"));
    }

    [Fact]
    public async Task CorruptNewestSnapshot_FallsBackToTheOlderOneAndTheLog()
    {
        await using (var silo = await StartAsync(Options(snapCount: 8), new ListLogger()))
        {
            await CreateNodesAsync(silo.ClientPort, 40);
            await silo.Core.TakeSnapshotAsync();
        }

        // Flip bytes in the newest snapshot's chunk, as bit rot in the database would.
        var db = StorageNaming.SnapshotDatabasePath(_dir);
        long newest;
        using (var conn = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            conn.Open();
            using var q = conn.CreateCommand();
            q.CommandText = "SELECT max(id) FROM snapshots";
            newest = (long)q.ExecuteScalar()!;
            using var u = conn.CreateCommand();
            u.CommandText = "UPDATE snapshot_chunks SET data = randomblob(length(data)) WHERE snapshot_id = $id";
            u.Parameters.AddWithValue("$id", newest);
            Assert.Equal(1, u.ExecuteNonQuery());
        }

        var logs = new ListLogger();
        await using var again = await StartAsync(Options(snapCount: 8), logs);
        Assert.Contains(logs.Lines, l => l.Contains($"snapshot {newest} ", StringComparison.Ordinal) && l.Contains("corrupt", StringComparison.OrdinalIgnoreCase));
        await using var c = await WireClient.ConnectAsync(again.ClientPort);
        for (var i = 0; i < 40; i++)
        {
            var got = await c.GetDataAsync($"/n{i}");
            Assert.NotNull(got);
            Assert.Equal([(byte)i], got.Value.Data ?? []);
        }
    }

    [Theory]
    [InlineData("fsync")]
    [InlineData("full-disk")]
    public async Task WhenTheLogCannotWrite_TheSiloStopsAcknowledgingAndSaysWhy(string fault)
    {
        var fs = new FaultyFileSystem();
        var logs = new ListLogger();
        await using var silo = await StartAsync(Options(), logs, fs);
        await CreateNodesAsync(silo.ClientPort, 5);

        await using var c = await WireClient.ConnectAsync(silo.ClientPort);
        if (fault == "fsync")
        {
            fs.FailFlush = true;
        }
        else
        {
            fs.DiskFull = true;
        }

        await c.SendAsync(OpCode.Create, new CreateRequest("/after-failure", [1], Acl.OpenAclUnsafe, 0));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var replyOrClose = await Record.ExceptionAsync(() => c.ReceiveAsync(wait.Token));
        Assert.NotNull(replyOrClose); // no acknowledgement: the connection is closed (or nothing arrives)

        Assert.Contains(logs.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains(fault == "fsync" ? "fsync" : "No space left", StringComparison.OrdinalIgnoreCase));
        Assert.False(silo.Core.IsServing);
        Assert.Contains(fault == "fsync" ? "fsync" : "No space left", silo.Core.FailureReason!, StringComparison.OrdinalIgnoreCase);

        // New clients are turned away rather than served from a silo that cannot make writes durable.
        var refused = await Record.ExceptionAsync(() => WireClient.ConnectAsync(silo.ClientPort));
        Assert.NotNull(refused);

        // After the fault clears, a restart recovers everything acknowledged, and nothing that was not.
        fs.FailFlush = false;
        fs.DiskFull = false;
        await silo.DisposeAsync();
        await using var again = await StartAsync(Options(), new ListLogger());
        await using var c2 = await WireClient.ConnectAsync(again.ClientPort);
        for (var i = 0; i < 5; i++)
        {
            Assert.NotNull(await c2.GetDataAsync($"/n{i}"));
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
