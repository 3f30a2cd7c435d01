using Orleans.Coordination.Client;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// A distributed read-write lock (Curator's InterProcessReadWriteLock): any number of readers, or one writer.
/// <para>
/// <b>How.</b> Readers and writers queue as ephemeral sequential nodes below one path (names <c>…-read-N</c> and
/// <c>…-write-N</c>, ordered by sequence). A writer holds the lock when it is first in the queue and watches the node
/// just before it; a reader holds it when no writer is before it and watches the nearest writer before it. The queue
/// is fair: a reader arriving after a waiting writer waits for that writer, so writers do not starve.
/// </para>
/// <para>
/// <b>Guarantees.</b> While the sessions are alive a writer never overlaps a reader or another writer. Both locks are
/// reentrant per async flow, and a flow that holds the write lock may also take the read lock (downgrade: take the
/// read lock, then release the write lock). Upgrading (read, then write) deadlocks and is not supported. Loss is
/// reported as for <see cref="InterProcessMutex"/>, through <see cref="LockHandle.LostToken"/>.
/// </para>
/// <code>
/// var rw = new InterProcessReadWriteLock(client, "/locks/catalog");
/// await using (await rw.ReadLock.AcquireAsync()) { /* many readers at once */ }
/// await using (await rw.WriteLock.AcquireAsync()) { /* alone */ }
/// </code>
/// </summary>
public sealed class InterProcessReadWriteLock
{
    private const string ReadMarker = "-read-";
    private const string WriteMarker = "-write-";

    /// <summary>Creates the lock on <paramref name="path"/> (created when missing).</summary>
    public InterProcessReadWriteLock(CoordinationClient client, string path, byte[]? nodeData = null, OwnershipLossPolicy lossPolicy = OwnershipLossPolicy.SessionLost)
    {
        WriteLock = new InterProcessMutex(client, path, "write-", [ReadMarker, WriteMarker], InterProcessMutex.StandardDecision, nodeData, lossPolicy, reentrant: true);
        ReadLock = new InterProcessMutex(client, path, "read-", [ReadMarker, WriteMarker], DecideRead, nodeData, lossPolicy, reentrant: true);
    }

    /// <summary>The shared lock.</summary>
    public InterProcessMutex ReadLock { get; }

    /// <summary>The exclusive lock.</summary>
    public InterProcessMutex WriteLock { get; }

    private LockDecision DecideRead(IReadOnlyList<string> sorted, int index)
    {
        if (WriteLock.IsHeldByCurrentFlow)
        {
            // Downgrade: this flow holds the write lock, so nobody else can be writing.
            return new LockDecision(true, null);
        }

        for (var i = index - 1; i >= 0; i--)
        {
            if (sorted[i].Contains(WriteMarker, StringComparison.Ordinal))
            {
                return new LockDecision(false, sorted[i]);
            }
        }

        return new LockDecision(true, null);
    }
}
