namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>
/// Durable storage of snapshots in a relational database. Content is opaque bytes: the store
/// compresses it, splits it into checksummed chunks and writes everything in one transaction.
/// </summary>
public interface ISnapshotStore : IAsyncDisposable
{
    /// <summary>Provider and location, for messages (never contains a password).</summary>
    string Name { get; }

    /// <summary>Creates or migrates the schema. Idempotent; safe to call from several processes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="rawContent"/> (read to its end) with <paramref name="metadata"/>.
    /// Atomic: if anything fails, including the stream throwing midway, nothing becomes visible.
    /// </summary>
    /// <returns>The metadata as stored: id, sizes, chunk count and checksum filled in.</returns>
    Task<SnapshotMetadata> SaveAsync(SnapshotMetadata metadata, Stream rawContent, CancellationToken cancellationToken = default);

    /// <summary>All snapshots, newest first (highest <see cref="SnapshotMetadata.LastZxid"/>, then highest id).</summary>
    Task<IReadOnlyList<SnapshotMetadata>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a snapshot's uncompressed content. Every chunk checksum is verified before this returns;
    /// the content checksum and size are verified when the stream is read to its end.
    /// </summary>
    /// <exception cref="SnapshotCorruptedException">a chunk, or the whole content, fails its check.</exception>
    /// <exception cref="KeyNotFoundException">no snapshot has this id.</exception>
    Task<Stream> OpenAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Deletes a snapshot; returns false if it did not exist.</summary>
    Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Deletes all but the <paramref name="count"/> newest snapshots; returns how many were deleted.</summary>
    Task<int> RetainNewestAsync(int count, CancellationToken cancellationToken = default);
}
