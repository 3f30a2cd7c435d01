using System.Data.Common;
using System.IO.Compression;
using System.Reflection;

namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>
/// The snapshot store logic shared by the SQL providers: chunking, compression, checksums,
/// transactions and schema migration. Providers supply connections and their SQL dialect.
/// </summary>
public abstract partial class RelationalSnapshotStore : ISnapshotStore
{
    /// <summary>Component name in the schema_version table.</summary>
    protected const string SchemaComponent = "snapshots";

    private const string CompressionName = "br";

    private protected RelationalSnapshotStore(SnapshotStoreOptions options)
    {
        options.ValidateCommon();
        ChunkSize = options.ChunkSize;
        CompressionLevel = options.CompressionLevel;
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>Bytes of compressed content per chunk row.</summary>
    public int ChunkSize { get; }

    private CompressionLevel CompressionLevel { get; }

    /// <summary>Qualified name of a table of this store (e.g. with the schema prefix).</summary>
    private protected abstract string Table(string name);

    /// <summary>Opens a new connection with the provider's per-connection settings applied.</summary>
    private protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Statements run inside the migration transaction first, to serialise concurrent initialisers.</summary>
    private protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Runs once per InitializeAsync before the migration transaction (e.g. journal mode).</summary>
    private protected virtual Task PrepareDatabaseAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Name prefix of this provider's embedded scripts, e.g. "Sqlite".</summary>
    private protected abstract string ScriptPrefix { get; }

    /// <summary>Turns an embedded script into SQL for this store (e.g. substitutes the schema name).</summary>
    private protected virtual string PrepareScript(string script) => script;

    /// <summary>A transaction in which several reads see one consistent state, without blocking writers.</summary>
    private protected abstract ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Schema versions and the script that brings the schema to each, oldest first.</summary>
    private protected virtual IReadOnlyList<(int Version, string ScriptName)> Migrations =>
        [(1, $"{ScriptPrefix}-Schema.sql")];

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await PrepareDatabaseAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockForMigrationAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, LoadScript($"{ScriptPrefix}-SchemaVersion.sql"), cancellationToken).ConfigureAwait(false);

        var current = 0L;
        await using (var command = Command(connection, transaction, $"SELECT version FROM {Table("schema_version")} WHERE component = @component"))
        {
            AddParameter(command, "component", SchemaComponent);
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (value is not null and not DBNull)
            {
                current = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var latest = Migrations[^1].Version;
        if (current > latest)
        {
            throw new StorageException(
                $"Snapshot store '{Name}' has schema version {current}, newer than this build understands ({latest}). Upgrade the software.");
        }

        foreach (var (version, scriptName) in Migrations)
        {
            if (version > current)
            {
                await ExecuteAsync(connection, transaction, LoadScript(scriptName), cancellationToken).ConfigureAwait(false);
            }
        }

        if (latest != current)
        {
            var upsert = current == 0
                ? $"INSERT INTO {Table("schema_version")} (component, version) VALUES (@component, @version)"
                : $"UPDATE {Table("schema_version")} SET version = @version WHERE component = @component";
            await using var command = Command(connection, transaction, upsert);
            AddParameter(command, "component", SchemaComponent);
            AddParameter(command, "version", latest);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SnapshotMetadata>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {MetadataColumns} FROM {Table("snapshots")} ORDER BY last_zxid DESC, id DESC");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<SnapshotMetadata>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadMetadata(reader));
        }

        return result;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await DeleteAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public async Task<int> RetainNewestAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var doomed = new List<long>();
        await using (var command = Command(connection, transaction, $"SELECT id FROM {Table("snapshots")} ORDER BY last_zxid DESC, id DESC"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            var seen = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (seen++ >= count)
                {
                    doomed.Add(reader.GetInt64(0));
                }
            }
        }

        foreach (var id in doomed)
        {
            await DeleteAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return doomed.Count;
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private async Task<bool> DeleteAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken cancellationToken)
    {
        await using (var chunks = Command(connection, transaction, $"DELETE FROM {Table("snapshot_chunks")} WHERE snapshot_id = @id"))
        {
            AddParameter(chunks, "id", id);
            await chunks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var row = Command(connection, transaction, $"DELETE FROM {Table("snapshots")} WHERE id = @id");
        AddParameter(row, "id", id);
        return await row.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private const string MetadataColumns =
        "id, last_zxid, created_unix_ms, node_count, digest, format_version, raw_size, compressed_size, chunk_count, raw_crc32c, compression";

    private static SnapshotMetadata ReadMetadata(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        LastZxid = reader.GetInt64(1),
        CreatedUtc = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
        NodeCount = reader.GetInt64(3),
        Digest = unchecked((ulong)reader.GetInt64(4)),
        FormatVersion = checked((int)reader.GetInt64(5)),
        RawSize = reader.GetInt64(6),
        CompressedSize = reader.GetInt64(7),
        ChunkCount = checked((int)reader.GetInt64(8)),
        RawCrc32C = checked((uint)reader.GetInt64(9)),
    };

    private protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private protected static DbParameter AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private string LoadScript(string scriptName)
    {
        var resource = $"Orleans.Coordination.Storage.Snapshots.{ScriptPrefix}.{scriptName}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded schema script '{resource}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return PrepareScript(reader.ReadToEnd());
    }
}
