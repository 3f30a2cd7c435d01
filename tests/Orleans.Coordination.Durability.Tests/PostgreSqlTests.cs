using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server;
using Orleans.Coordination.Server.Configuration;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>
/// The production snapshot store: a silo whose snapshots live in a real PostgreSQL server recovers from
/// them, and backups can be kept in and restored from PostgreSQL. The server comes from infra/test.sh
/// (COORD_TEST_PG).
/// </summary>
public sealed class PostgreSqlTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coord-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N")[..12];
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable("COORD_TEST_PG")
            ?? throw new InvalidOperationException("COORD_TEST_PG is not set: run the tests through infra/test.sh, which starts a throwaway PostgreSQL server");
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync();
    }

    [Fact]
    public async Task SiloWithPostgreSqlSnapshots_RecoversFromThem()
    {
        var options = new SiloOptions
        {
            DataDir = _dir,
            ClientPort = 0,
            AdminEnabled = false,
            SnapCount = 10,
            SnapshotStoreProvider = "postgresql",
            SnapshotStoreConnectionString = _connectionString,
            SnapshotStoreSchema = _schema,
        };
        var logs = new ListLogger();
        await using (var silo = await SiloHost.StartAsync(options, b => b.AddProvider(logs)))
        {
            await using var c = await WireClient.ConnectAsync(silo.ClientPort);
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.Create, new CreateRequest($"/pg{i}", [(byte)i], Acl.OpenAclUnsafe, 0))).Header.Err);
            }

            var meta = await silo.Core.TakeSnapshotAsync();
            Assert.True(meta.NodeCount >= 34);
        }

        // The snapshots are rows in PostgreSQL.
        await using (var db = new NpgsqlConnection(_connectionString))
        {
            await db.OpenAsync();
            await using var q = new NpgsqlCommand($"SELECT count(*) FROM {_schema}.snapshots", db);
            Assert.True((long)(await q.ExecuteScalarAsync())! >= 1);
        }

        // Lose the local log entirely: only the PostgreSQL snapshot can bring the tree back.
        Directory.Delete(Path.Combine(_dir, "log"), recursive: true);
        var restartLogs = new ListLogger();
        await using var again = await SiloHost.StartAsync(options, b => b.AddProvider(restartLogs));
        Assert.Contains(restartLogs.Lines, l => l.Contains("Loaded postgresql", StringComparison.OrdinalIgnoreCase));
        await using var c2 = await WireClient.ConnectAsync(again.ClientPort);
        for (var i = 0; i < 30; i++)
        {
            var got = await c2.GetDataAsync($"/pg{i}");
            Assert.NotNull(got);
            Assert.Equal([(byte)i], got.Value.Data ?? []);
        }
    }

    [Fact]
    public async Task BackupToPostgreSql_AndRestoreFromIt()
    {
        var port = SiloProcess.FreePort();
        await using (var silo = await SiloProcess.StartAsync(Path.Combine(_dir, "source"), port))
        {
            await using var c = await WireClient.ConnectAsync(port);
            for (var i = 0; i < 10; i++)
            {
                await c.CallAsync(OpCode.Create, new CreateRequest($"/b{i}", [(byte)i], Acl.OpenAclUnsafe, 0));
            }

            var (code, text) = await Cli.RunAsync("backup", "--server", $"127.0.0.1:{port}", "--to", _connectionString);
            Assert.True(code == 0, text);
            Assert.Contains("stored in PostgreSQL", text, StringComparison.Ordinal);
        }

        var target = Path.Combine(_dir, "restored", "s1", "data");
        var (restoreCode, restoreText) = await Cli.RunAsync("restore", "--from", _connectionString, "--data-dir", target);
        Assert.True(restoreCode == 0, restoreText);
        var port2 = SiloProcess.FreePort();
        await using var restored = await SiloProcess.StartAsync(target, port2);
        await using var c2 = await WireClient.ConnectAsync(port2);
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await c2.GetDataAsync($"/b{i}"));
        }
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_connectionString.Length > 0)
        {
            await using var db = new NpgsqlConnection(_connectionString);
            await db.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", db);
            await drop.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
