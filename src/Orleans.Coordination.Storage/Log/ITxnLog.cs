namespace Orleans.Coordination.Storage.Log;

/// <summary>
/// An append-only, checksummed log of (zxid, opaque payload) records with group commit.
/// </summary>
/// <remarks>
/// <para>Threading: one thread appends (and calls <see cref="TruncateAfter"/>); a background
/// flusher writes and fsyncs. Reading, <see cref="PurgeBefore"/> and the properties are safe from
/// any thread.</para>
/// <para>Group commit: <see cref="Append"/> only encodes the record into memory; the flusher
/// writes everything appended since its last round with one write and one fsync, then raises
/// <see cref="Durable"/> once with the highest zxid that round made durable. An apply loop can
/// therefore append a burst of proposals and learn of their durability in one callback.</para>
/// <para>A single apply loop uses it like this:</para>
/// <code>
/// log.Durable += upTo => loopInbox.Post(new FsyncCompleted(upTo)); // flusher thread: just hand over
/// log.Failed += error => loopInbox.Post(new StorageFailed(error));
/// // on the loop thread, for each proposal (cheap, never waits for the disk):
/// log.Append(proposal.Zxid, proposal.Bytes);
/// // on the loop thread, when FsyncCompleted(upTo) arrives: ack every proposal with zxid &lt;= upTo.
/// </code>
/// <para>Callers that prefer tasks use <see cref="AppendAsync"/> or <see cref="WaitForDurableAsync"/>.</para>
/// </remarks>
public interface ITxnLog : IDisposable
{
    /// <summary>
    /// Raised on the flusher thread after each round, with the highest zxid now durable; every
    /// record with a lower or equal zxid is durable too. Handlers must be quick and not block
    /// (post to the apply loop).
    /// </summary>
    event Action<long>? Durable;

    /// <summary>Raised once, on the flusher thread, when the log enters the failed state.</summary>
    event Action<StorageFailedException>? Failed;

    /// <summary>Zxid of the first record still in the log (older segments may have been purged); 0 when empty.</summary>
    long FirstZxid { get; }

    /// <summary>Zxid of the last record appended (durable or not); 0 when the log is empty.</summary>
    long LastZxid { get; }

    /// <summary>Highest zxid known durable; 0 when nothing is.</summary>
    long DurableZxid { get; }

    /// <summary>Number of fsyncs issued so far (observability: compare with records appended).</summary>
    long FsyncCount { get; }

    /// <summary>The failure that stopped the log, or null while it is healthy.</summary>
    StorageFailedException? Failure { get; }

    /// <summary>
    /// Queues a record for the next flush round and returns at once (it copies the payload).
    /// Blocks only when <see cref="TxnLogOptions.MaxPendingBytes"/> are already waiting.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">zxid is not greater than <see cref="LastZxid"/>.</exception>
    /// <exception cref="StorageFailedException">the log has failed.</exception>
    void Append(long zxid, ReadOnlySpan<byte> payload);

    /// <summary>
    /// <see cref="Append"/> and then <see cref="WaitForDurableAsync"/>: completes when the record
    /// is on disk, or faults with <see cref="StorageFailedException"/>. Records appended in the same
    /// round share one completion, so there is no allocation per record. On a failed log the
    /// returned task is faulted (it does not throw); invalid arguments still throw.
    /// </summary>
    ValueTask AppendAsync(long zxid, ReadOnlyMemory<byte> payload);

    /// <summary>Completes when every record up to <paramref name="zxid"/> (already appended) is durable.</summary>
    ValueTask WaitForDurableAsync(long zxid, CancellationToken cancellationToken = default);

    /// <summary>
    /// Durable records with a zxid greater than <paramref name="afterZxid"/>, in zxid order across
    /// segments. Checksums are verified again; damage throws <see cref="LogCorruptedException"/>.
    /// Records appended but not yet durable are not returned.
    /// </summary>
    IEnumerable<LogRecord> ReadFrom(long afterZxid);

    /// <summary>
    /// Removes every record with a zxid greater than <paramref name="zxid"/> (uncommitted proposals
    /// from an old epoch), durably. Waits for pending appends first. Call from the appending thread.
    /// </summary>
    void TruncateAfter(long zxid);

    /// <summary>
    /// Deletes whole segments all of whose records have a zxid lower than <paramref name="zxid"/>
    /// (e.g. older than the oldest snapshot retained). The last segment is always kept.
    /// Returns the number of segments deleted.
    /// </summary>
    int PurgeBefore(long zxid);
}
