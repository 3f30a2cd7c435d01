namespace Orleans.Coordination.Recipes;

/// <summary>
/// A held lock (<see cref="InterProcessMutex"/>, or a read or write lock of an <see cref="InterProcessReadWriteLock"/>).
/// Dispose it (or call <see cref="ReleaseAsync"/>) to release; releasing twice is harmless. Reentrant acquires
/// return nested handles of the same node: the lock is released with the last of them.
/// <para>
/// Watch <see cref="LostToken"/> while working under the lock: it is cancelled when the lock is lost (session lost,
/// client disposed, node deleted by someone else, or a suspended connection under
/// <see cref="OwnershipLossPolicy.ConnectionSuspended"/>), after which another process may hold it.
/// </para>
/// </summary>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly LockHolder _holder;
    private int _released;

    internal LockHandle(LockHolder holder) => _holder = holder;

    /// <summary>The lock node that holds the lock.</summary>
    public string Path => _holder.NodePath!;

    /// <summary>Whether the lock was lost (see <see cref="LostToken"/>).</summary>
    public bool IsLost => _holder.IsLost;

    /// <summary>Cancelled when the lock is lost; never cancelled by a normal release.</summary>
    public CancellationToken LostToken => _holder.Monitor!.Token;

    /// <summary>Why the lock was lost, or null.</summary>
    public string? LostReason => _holder.Monitor?.Reason;

    /// <summary>Whether this handle was released.</summary>
    public bool IsReleased => Volatile.Read(ref _released) == 1;

    /// <summary>Releases this handle; the last handle of a reentrant acquire deletes the lock node.</summary>
    public Task ReleaseAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? _holder.ExitAsync() : Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
