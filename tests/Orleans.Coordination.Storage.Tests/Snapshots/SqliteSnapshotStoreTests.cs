using Microsoft.Data.Sqlite;
using Orleans.Coordination.Storage.Snapshots;

namespace Orleans.Coordination.Storage.Tests.Snapshots;

public sealed class SqliteSnapshotStoreTests : SnapshotStoreContractTests
{
    private readonly TestDirectory _dir = new();

    private string DatabasePath => StorageNaming.SnapshotDatabasePath(_dir.Path);

    protected override Task<ISnapshotStore> CreateStoreAsync() =>
        Task.FromResult(SnapshotStoreFactory.Create(new SnapshotStoreOptions { DataDirectory = _dir.Path }));

    protected override ISnapshotStore OpenSameStore() => new SqliteSnapshotStore(DatabasePath);

    protected override async Task CorruptChunkAsync(long snapshotId, int chunkIndex, int byteOffset)
    {
        await using var connection = Open();
        byte[] data;
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT data FROM snapshot_chunks WHERE snapshot_id = $id AND chunk_index = $index";
            select.Parameters.AddWithValue("$id", snapshotId);
            select.Parameters.AddWithValue("$index", chunkIndex);
            data = (byte[])(await select.ExecuteScalarAsync())!;
        }

        data[byteOffset] ^= 0x40;
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE snapshot_chunks SET data = $data WHERE snapshot_id = $id AND chunk_index = $index";
        update.Parameters.AddWithValue("$data", data);
        update.Parameters.AddWithValue("$id", snapshotId);
        update.Parameters.AddWithValue("$index", chunkIndex);
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }

    protected override async Task<long> CountChunkRowsAsync()
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM snapshot_chunks";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    protected override Task CleanUpAsync()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_database_is_one_file_in_the_data_directory_in_WAL_mode()
    {
        await Store.InitializeAsync();
        Assert.True(File.Exists(DatabasePath));
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)(await command.ExecuteScalarAsync())!);
        command.CommandText = "SELECT version FROM schema_version WHERE component = 'snapshots'";
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }
}
