using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Npgsql;

namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>
/// Snapshots in PostgreSQL (Npgsql), in their own schema (<see cref="SnapshotStoreOptions.Schema"/>),
/// which InitializeAsync creates and migrates.
/// </summary>
public sealed partial class PostgreSqlSnapshotStore : RelationalSnapshotStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _quotedSchema;

    /// <summary>A store reached through <paramref name="connectionString"/>.</summary>
    public PostgreSqlSnapshotStore(string connectionString, SnapshotStoreOptions? options = null)
        : base(options ?? new SnapshotStoreOptions())
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        options ??= new SnapshotStoreOptions();
        if (!SchemaName().IsMatch(options.Schema))
        {
            throw new ArgumentException(
                $"{nameof(SnapshotStoreOptions)}.{nameof(SnapshotStoreOptions.Schema)} '{options.Schema}' must be 1-63 lower-case letters, digits or '_', not starting with a digit.",
                nameof(options));
        }

        Schema = options.Schema;
        _quotedSchema = $"\"{Schema}\"";
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Name = $"postgresql:{builder.Host}:{builder.Port}/{builder.Database}/{Schema}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>Schema holding the store's tables.</summary>
    public string Schema { get; }

    /// <inheritdoc />
    public override string Name { get; }

    private protected override string ScriptPrefix => "PostgreSql";

    private protected override ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

    private protected override string Table(string name) => $"{_quotedSchema}.{name}";

    private protected override string PrepareScript(string script) => script.Replace("$schema$", _quotedSchema, StringComparison.Ordinal);

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    private protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        // CREATE ... IF NOT EXISTS races with itself in PostgreSQL; serialise initialisers of this schema.
        await using var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext(@key))");
        AddParameter(command, "key", $"orleans.coordination.snapshots:{Schema}");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the pooled connections.</summary>
    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
