namespace Orleans.Coordination.Storage;

/// <summary>Base of every error this library reports about durable storage.</summary>
public class StorageException : IOException
{
    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The transaction log can no longer make anything durable (an fsync or a write failed, the disk
/// is full). The log stays failed: no record appended before or after the failure that was not
/// already reported durable will ever be reported durable by this instance. Restart and recover.
/// </summary>
public sealed class StorageFailedException : StorageException
{
    public StorageFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Stored data failed its checksum or structure check; it is never loaded silently.</summary>
public class StorageCorruptedException : StorageException
{
    public StorageCorruptedException(string message, string? filePath)
        : base(message)
    {
        FilePath = filePath;
    }

    /// <summary>The damaged file, when the data lives in a file.</summary>
    public string? FilePath { get; }
}

/// <summary>
/// A log segment is damaged before its tail (valid records follow the damage, or the damage is in
/// a segment that is not the last). Open with <c>repair: true</c> to truncate the log there.
/// </summary>
public sealed class LogCorruptedException : StorageCorruptedException
{
    public LogCorruptedException(string filePath, long offset, string reason)
        : base($"Transaction log segment '{filePath}' is corrupted at byte offset {offset}: {reason}. "
            + "Records after this point cannot be trusted; open the log with repair enabled to truncate it here.", filePath)
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Byte offset of the damaged record in <see cref="StorageCorruptedException.FilePath"/>.</summary>
    public long Offset { get; }

    /// <summary>What was wrong at <see cref="Offset"/>.</summary>
    public string Reason { get; }
}

/// <summary>A stored snapshot failed a checksum or structure check.</summary>
public sealed class SnapshotCorruptedException : StorageCorruptedException
{
    public SnapshotCorruptedException(string store, long snapshotId, int chunkIndex, long offset, string reason)
        : base($"Snapshot {snapshotId} in store '{store}' is corrupted at chunk {chunkIndex} "
            + $"(compressed byte offset {offset}): {reason}.", null)
    {
        Store = store;
        SnapshotId = snapshotId;
        ChunkIndex = chunkIndex;
        Offset = offset;
    }

    /// <summary>Display name of the store (provider and location, never a password).</summary>
    public string Store { get; }

    public long SnapshotId { get; }

    /// <summary>Index of the damaged chunk; -1 when the damage concerns the whole content.</summary>
    public int ChunkIndex { get; }

    /// <summary>Offset of the chunk in the compressed content.</summary>
    public long Offset { get; }
}
