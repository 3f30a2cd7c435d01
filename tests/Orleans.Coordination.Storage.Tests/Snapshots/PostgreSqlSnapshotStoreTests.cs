using Npgsql;
using Orleans.Coordination.Storage.Snapshots;

namespace Orleans.Coordination.Storage.Tests.Snapshots;

/// <summary>
/// The contract against a real PostgreSQL server, reached through the connection string in
/// COORD_TEST_PG (infra/test.sh sets it after infra/postgres.sh starts a throwaway cluster).
/// Each test gets its own schema, dropped afterwards.
/// </summary>
public sealed class PostgreSqlSnapshotStoreTests : SnapshotStoreContractTests
{
    public const string ConnectionStringVariable = "COORD_TEST_PG";

    private readonly string _schema = "snap_test_" + Guid.NewGuid().ToString("N")[..16];
    private string? _connectionString;

    private static string RequireConnectionString() =>
        Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{ConnectionStringVariable} is not set, so the PostgreSQL snapshot store tests cannot reach a server. "
                + "Run the tests through infra/test.sh, which starts a throwaway PostgreSQL (infra/postgres.sh start DIR PORT) "
                + $"and sets {ConnectionStringVariable}, e.g. Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres.");

    protected override Task<ISnapshotStore> CreateStoreAsync()
    {
        _connectionString = RequireConnectionString();
        return Task.FromResult(SnapshotStoreFactory.Create(new SnapshotStoreOptions
        {
            Provider = "postgresql",
            ConnectionString = _connectionString,
            Schema = _schema,
        }));
    }

    protected override ISnapshotStore OpenSameStore() =>
        new PostgreSqlSnapshotStore(_connectionString!, new SnapshotStoreOptions { Schema = _schema });

    protected override async Task CorruptChunkAsync(long snapshotId, int chunkIndex, int byteOffset)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            $"UPDATE {_schema}.snapshot_chunks SET data = set_byte(data, @offset, get_byte(data, @offset) # 64) "
            + "WHERE snapshot_id = @id AND chunk_index = @index", connection);
        command.Parameters.AddWithValue("offset", byteOffset);
        command.Parameters.AddWithValue("id", snapshotId);
        command.Parameters.AddWithValue("index", (long)chunkIndex);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    protected override async Task<long> CountChunkRowsAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {_schema}.snapshot_chunks", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    protected override async Task CleanUpAsync()
    {
        if (_connectionString is null)
        {
            return;
        }

        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task The_schema_is_created_with_its_version_row()
    {
        await Store.InitializeAsync();
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT version FROM {_schema}.schema_version WHERE component = 'snapshots'", connection);
        Assert.Equal(1, (int)(await command.ExecuteScalarAsync())!);
        Assert.DoesNotContain("Password", Store.Name, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(_schema, Store.Name);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
