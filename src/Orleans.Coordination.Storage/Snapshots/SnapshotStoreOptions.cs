using System.IO.Compression;

namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>Which snapshot store to use and how; see <see cref="SnapshotStoreFactory"/>.</summary>
public sealed class SnapshotStoreOptions
{
    /// <summary>Provider name of <see cref="SqliteSnapshotStore"/> (the default).</summary>
    public const string SqliteProvider = "sqlite";

    /// <summary>Provider name of <see cref="PostgreSqlSnapshotStore"/>.</summary>
    public const string PostgreSqlProvider = "postgresql";

    /// <summary>Default chunk size: 1 MiB of compressed content per row.</summary>
    public const int DefaultChunkSize = 1024 * 1024;

    /// <summary><c>sqlite</c> (default) or <c>postgresql</c>.</summary>
    public string Provider { get; set; } = SqliteProvider;

    /// <summary>sqlite: the data directory; the database is <see cref="StorageNaming.SnapshotDatabaseFileName"/> inside it.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>postgresql: the Npgsql connection string.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>postgresql: the schema holding the store's tables (created if missing). Lower-case letters, digits, '_'.</summary>
    public string Schema { get; set; } = "coordination";

    /// <summary>Bytes of compressed content per chunk row (64 KiB to 64 MiB).</summary>
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>Brotli level; Fastest keeps snapshotting cheap, the content compresses well anyway.</summary>
    public CompressionLevel CompressionLevel { get; set; } = CompressionLevel.Fastest;

    internal void ValidateCommon()
    {
        if (ChunkSize is < 64 * 1024 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize,
                $"{nameof(SnapshotStoreOptions)}.{nameof(ChunkSize)} must be between 64 KiB and 64 MiB.");
        }
    }
}

/// <summary>Creates the configured <see cref="ISnapshotStore"/>.</summary>
public static class SnapshotStoreFactory
{
    /// <summary>Creates (but does not initialise) the store named by <see cref="SnapshotStoreOptions.Provider"/>.</summary>
    /// <exception cref="ArgumentException">the options are invalid; the message names the option.</exception>
    public static ISnapshotStore Create(SnapshotStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Provider?.Trim().ToLowerInvariant())
        {
            case null or "" or SnapshotStoreOptions.SqliteProvider:
                if (string.IsNullOrWhiteSpace(options.DataDirectory))
                {
                    throw new ArgumentException(
                        $"{nameof(SnapshotStoreOptions)}.{nameof(SnapshotStoreOptions.DataDirectory)} is required for the sqlite snapshot store.",
                        nameof(options));
                }

                return new SqliteSnapshotStore(StorageNaming.SnapshotDatabasePath(options.DataDirectory), options);
            case SnapshotStoreOptions.PostgreSqlProvider or "postgres" or "npgsql":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    throw new ArgumentException(
                        $"{nameof(SnapshotStoreOptions)}.{nameof(SnapshotStoreOptions.ConnectionString)} is required for the postgresql snapshot store.",
                        nameof(options));
                }

                return new PostgreSqlSnapshotStore(options.ConnectionString, options);
            default:
                throw new ArgumentException(
                    $"{nameof(SnapshotStoreOptions)}.{nameof(SnapshotStoreOptions.Provider)} is '{options.Provider}'; "
                    + $"expected '{SnapshotStoreOptions.SqliteProvider}' or '{SnapshotStoreOptions.PostgreSqlProvider}'.",
                    nameof(options));
        }
    }
}
