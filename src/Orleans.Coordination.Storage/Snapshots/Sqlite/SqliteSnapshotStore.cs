using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>
/// Snapshots in one SQLite file (by default <c>DATA/snapshots.db</c>), in WAL mode: readers do
/// not block the writer. Needs no set-up; the file and schema are created by InitializeAsync.
/// </summary>
public sealed class SqliteSnapshotStore : RelationalSnapshotStore
{
    private readonly string _connectionString;

    /// <summary>A store in the database file at <paramref name="databasePath"/>.</summary>
    public SqliteSnapshotStore(string databasePath, SnapshotStoreOptions? options = null)
        : base(options ?? new SnapshotStoreOptions())
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public override string Name => $"sqlite:{DatabasePath}";

    private protected override string ScriptPrefix => "Sqlite";

    private protected override string Table(string name) => name;

    // Deferred: a WAL read transaction sees one snapshot of the database and takes no write lock.
    private protected override ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and a
            // snapshot the log was purged against must not vanish.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private protected override async Task PrepareDatabaseAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // The journal mode is stored in the file, and cannot change inside a transaction.
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes pooled connections, so the file can be moved or deleted.</summary>
    public override ValueTask DisposeAsync()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        return base.DisposeAsync();
    }
}
