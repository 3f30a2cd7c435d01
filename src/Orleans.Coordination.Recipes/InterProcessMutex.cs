using Orleans.Coordination.Client;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// A reentrant, fair, distributed mutual-exclusion lock (Curator's InterProcessMutex).
/// <para>
/// <b>How.</b> Every contender creates an ephemeral sequential node below <see cref="Path"/>; the lowest sequence
/// holds the lock and every other contender watches only the node just before its own, so a release wakes exactly
/// one waiter (no herd) and the lock is granted in request order (fair). Node names carry a random guid, so a create
/// whose reply was lost with the connection is found again instead of leaving an orphan.
/// </para>
/// <para>
/// <b>Guarantees.</b> At most one handle of all processes holds the lock while the holder's session is alive. When
/// the session is lost (expired, closed, or per <see cref="OwnershipLossPolicy.ConnectionSuspended"/> suspended) or
/// the node is deleted by someone else, the holder's <see cref="LockHandle.LostToken"/> is cancelled and
/// <see cref="LockHandle.IsLost"/> becomes true: the holder must stop acting under the lock, because another process
/// may now hold it. A process that dies releases its lock when its session ends (the session timeout).
/// </para>
/// <para>
/// <b>Reentrancy</b> follows the async flow (an <see cref="AsyncLocal{T}"/>): an acquire made by code running inside
/// the flow that holds this instance's lock (including tasks that flow started) returns at once with a nested handle;
/// the node is deleted when the last handle is released. Other flows, instances and processes wait.
/// </para>
/// <code>
/// var mutex = new InterProcessMutex(client, "/locks/orders");
/// await using (var handle = await mutex.AcquireAsync(TimeSpan.FromSeconds(10)))
/// {
///     await DoWorkAsync(handle.LostToken);
/// }
/// </code>
/// </summary>
public sealed class InterProcessMutex
{
    private readonly AsyncLocal<LockHolder?> _holder = new();
    private readonly LockDriver _driver;
    private readonly bool _reentrant;
    private int _heldCount;

    /// <summary>Creates a mutex on <paramref name="path"/> (created when missing).</summary>
    /// <param name="client">The client whose session owns the lock.</param>
    /// <param name="path">The lock's node; contenders are its children.</param>
    /// <param name="nodeData">Data stored in this instance's contender nodes (e.g. an id to show who holds the lock).</param>
    /// <param name="lossPolicy">When a held lock is considered lost.</param>
    public InterProcessMutex(CoordinationClient client, string path, byte[]? nodeData = null, OwnershipLossPolicy lossPolicy = OwnershipLossPolicy.SessionLost)
        : this(client, path, "lock-", ["-lock-"], StandardDecision, nodeData, lossPolicy, reentrant: true)
    {
    }

    internal InterProcessMutex(CoordinationClient client, string path, string name, string[] markers, Func<IReadOnlyList<string>, int, LockDecision> decide, byte[]? nodeData, OwnershipLossPolicy lossPolicy, bool reentrant)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZkPaths.Validate(path, nameof(path));
        _driver = new LockDriver(client, path, name, markers, decide);
        NodeData = nodeData;
        LossPolicy = lossPolicy;
        _reentrant = reentrant;
    }

    /// <summary>The lock's node.</summary>
    public string Path => _driver.Path;

    /// <summary>The data of this instance's contender nodes.</summary>
    public byte[]? NodeData { get; }

    /// <summary>When a held lock is considered lost.</summary>
    public OwnershipLossPolicy LossPolicy { get; }

    /// <summary>Whether some flow of this process holds the lock through this instance.</summary>
    public bool IsAcquiredInThisProcess => Volatile.Read(ref _heldCount) > 0;

    /// <summary>Whether the current async flow holds the lock through this instance (and it was not lost).</summary>
    public bool IsHeldByCurrentFlow => _holder.Value is { IsHeld: true, IsLost: false };

    internal CoordinationClient Client => _driver.Client;

    // The public acquire methods are not async: see AcquireCoreAsync.

    /// <summary>Waits for the lock without time limit; cancelling <paramref name="cancellationToken"/> gives up (and leaves the queue).</summary>
    public Task<LockHandle> AcquireAsync(CancellationToken cancellationToken = default) =>
        OrThrowAsync(AcquireCoreAsync(null, cancellationToken), () => new InvalidOperationException("unreachable: no timeout"));

    /// <summary>Waits for the lock at most <paramref name="timeout"/>; throws <see cref="TimeoutException"/> when it runs out.</summary>
    public Task<LockHandle> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        OrThrowAsync(AcquireCoreAsync(timeout, cancellationToken), () => new TimeoutException($"the lock {Path} was not acquired within {timeout}"));

    /// <summary>Waits for the lock at most <paramref name="timeout"/> (zero: one attempt); null when it was not acquired.</summary>
    public Task<LockHandle?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default) => AcquireCoreAsync(timeout, cancellationToken);

    /// <summary>The contender nodes (names, in lock order): the first holds the lock.</summary>
    public async Task<IReadOnlyList<string>> GetParticipantNodesAsync(CancellationToken cancellationToken = default) =>
        await _driver.GetSortedAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Not async on purpose: the holder is stored in the caller's flow before the acquisition starts, so the caller
    /// (and code it runs) sees it afterwards; an async method's own changes to an AsyncLocal do not flow back.
    /// </summary>
    private Task<LockHandle?> AcquireCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (_reentrant && _holder.Value is { IsHeld: true, IsLost: false } current)
        {
            current.Enter();
            return Task.FromResult<LockHandle?>(new LockHandle(current));
        }

        var holder = new LockHolder(this);
        if (_reentrant)
        {
            _holder.Value = holder;
        }

        return AcquireNewAsync(holder, timeout, cancellationToken);
    }

    private static async Task<LockHandle> OrThrowAsync(Task<LockHandle?> acquire, Func<Exception> error) =>
        await acquire.ConfigureAwait(false) ?? throw error();

    private async Task<LockHandle?> AcquireNewAsync(LockHolder holder, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        await Nodes.EnsureAsync(Client, Path, cancellationToken).ConfigureAwait(false);
        var path = await _driver.AcquireAsync(NodeData, timeout, cancellationToken).ConfigureAwait(false);
        if (path is null)
        {
            return null;
        }

        holder.Acquired(path, new OwnershipMonitor(Client, path, LossPolicy));
        Interlocked.Increment(ref _heldCount);
        return new LockHandle(holder);
    }

    internal async Task ReleaseAsync(LockHolder holder)
    {
        Interlocked.Decrement(ref _heldCount);
        holder.Monitor?.Dispose();
        await Nodes.DeleteQuietlyAsync(Client, holder.NodePath!).ConfigureAwait(false);
    }

    /// <summary>The standard rule: the first contender holds the lock; the others each watch the one before them.</summary>
    internal static LockDecision StandardDecision(IReadOnlyList<string> sorted, int index) =>
        index == 0 ? new LockDecision(true, null) : new LockDecision(false, sorted[index - 1]);
}

/// <summary>One acquisition of a lock node, shared by the nested handles of a reentrant acquire.</summary>
internal sealed class LockHolder(InterProcessMutex mutex)
{
    private int _count;

    public string? NodePath { get; private set; }

    public OwnershipMonitor? Monitor { get; private set; }

    public bool IsHeld => Volatile.Read(ref _count) > 0;

    public bool IsLost => Monitor?.IsLost ?? false;

    public InterProcessMutex Mutex { get; } = mutex;

    public void Acquired(string path, OwnershipMonitor monitor)
    {
        NodePath = path;
        Monitor = monitor;
        Volatile.Write(ref _count, 1);
    }

    public void Enter() => Interlocked.Increment(ref _count);

    public Task ExitAsync() => Interlocked.Decrement(ref _count) == 0 ? Mutex.ReleaseAsync(this) : Task.CompletedTask;
}
