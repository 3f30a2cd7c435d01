namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>
/// What is known about a stored snapshot without reading it. The caller fills the descriptive
/// fields before <see cref="ISnapshotStore.SaveAsync"/>; the store assigns <see cref="Id"/> and
/// fills the sizes, chunk count and content checksum.
/// </summary>
public sealed record SnapshotMetadata
{
    /// <summary>Assigned by the store; increases with every save and is never reused.</summary>
    public long Id { get; init; }

    /// <summary>Zxid of the last transaction reflected in the snapshot (a fuzzy snapshot may reflect some later ones too).</summary>
    public long LastZxid { get; init; }

    /// <summary>When the snapshot was taken (stored with millisecond precision).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Number of znodes in the snapshot.</summary>
    public long NodeCount { get; init; }

    /// <summary>The caller's digest of the tree, to compare replicas and verify a restore.</summary>
    public ulong Digest { get; init; }

    /// <summary>The caller's format version of the raw content.</summary>
    public int FormatVersion { get; init; }

    /// <summary>Uncompressed size in bytes (set by the store).</summary>
    public long RawSize { get; init; }

    /// <summary>Compressed size in bytes, the sum of the chunks (set by the store).</summary>
    public long CompressedSize { get; init; }

    /// <summary>Number of chunk rows (set by the store).</summary>
    public int ChunkCount { get; init; }

    /// <summary>CRC-32C of the uncompressed content (set by the store, checked when reading to the end).</summary>
    public uint RawCrc32C { get; init; }
}
