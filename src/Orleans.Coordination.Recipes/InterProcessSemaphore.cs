using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// A distributed counting semaphore with leases (Curator's InterProcessSemaphoreV2): at most
/// <see cref="MaxLeases"/> leases are held at once across all processes.
/// <para>
/// <b>How.</b> A lease is an ephemeral sequential node in <c>{path}/leases</c>. Acquirers first queue on a fair
/// <see cref="InterProcessMutex"/> at <c>{path}/locks</c> (each watches only its predecessor), so only the head of the
/// queue is ever waiting on the leases: it creates its lease node and holds it once the leases number at most
/// <see cref="MaxLeases"/>, otherwise it watches the leases' children until one goes, then releases the mutex. Only
/// the mutex holder creates lease nodes and everyone else only deletes them, so the count never exceeds the limit.
/// </para>
/// <para>
/// <b>Guarantees.</b> At most <see cref="MaxLeases"/> leases are held while their sessions are alive (every process
/// must use the same limit); waiters get leases in arrival order. A lease of a dead process is returned when its
/// session ends. A lost lease (session lost, client disposed, lease node deleted, or a suspended connection under
/// <see cref="OwnershipLossPolicy.ConnectionSuspended"/>) cancels <see cref="Lease.LostToken"/>.
/// </para>
/// <code>
/// var semaphore = new InterProcessSemaphore(client, "/semaphores/downloads", maxLeases: 3);
/// await using (var lease = await semaphore.AcquireAsync(TimeSpan.FromSeconds(30)))
/// {
///     await DownloadAsync(lease.LostToken);
/// }
/// </code>
/// </summary>
public sealed class InterProcessSemaphore
{
    private const string LeaseName = "lease-";
    private readonly CoordinationClient _client;
    private readonly InterProcessMutex _mutex;
    private readonly string _leasesPath;
    private readonly byte[]? _nodeData;

    /// <summary>Creates a semaphore on <paramref name="path"/> allowing <paramref name="maxLeases"/> leases.</summary>
    /// <param name="client">The client whose session owns the leases.</param>
    /// <param name="path">The semaphore's node (holds <c>locks</c> and <c>leases</c>).</param>
    /// <param name="maxLeases">The number of leases; the same in every process.</param>
    /// <param name="nodeData">Data stored in this instance's lease nodes.</param>
    /// <param name="lossPolicy">When a held lease is considered lost.</param>
    public InterProcessSemaphore(CoordinationClient client, string path, int maxLeases, byte[]? nodeData = null, OwnershipLossPolicy lossPolicy = OwnershipLossPolicy.SessionLost)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZkPaths.Validate(path, nameof(path));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLeases, 1);
        _client = client;
        Path = path;
        MaxLeases = maxLeases;
        LossPolicy = lossPolicy;
        _nodeData = nodeData;
        _leasesPath = ZkPaths.Join(path, "leases");
        _mutex = new InterProcessMutex(client, ZkPaths.Join(path, "locks"), "lock-", ["-lock-"], InterProcessMutex.StandardDecision, null, OwnershipLossPolicy.SessionLost, reentrant: false);
    }

    /// <summary>The semaphore's node.</summary>
    public string Path { get; }

    /// <summary>How many leases may be held at once.</summary>
    public int MaxLeases { get; }

    /// <summary>When a held lease is considered lost.</summary>
    public OwnershipLossPolicy LossPolicy { get; }

    /// <summary>Waits for a lease without time limit.</summary>
    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken = default) =>
        await AcquireCoreAsync(null, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("unreachable: no timeout");

    /// <summary>Waits for a lease at most <paramref name="timeout"/>; throws <see cref="TimeoutException"/> when it runs out.</summary>
    public async Task<Lease> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        await AcquireCoreAsync(timeout, cancellationToken).ConfigureAwait(false) ?? throw new TimeoutException($"no lease of {Path} within {timeout}");

    /// <summary>Waits for a lease at most <paramref name="timeout"/>; null when none was acquired.</summary>
    public Task<Lease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default) => AcquireCoreAsync(timeout, cancellationToken);

    /// <summary>The lease nodes now (names): those of the holders, and that of the one acquirer waiting for a lease, if any.</summary>
    public async Task<IReadOnlyList<string>> GetParticipantNodesAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var children = await _client.RetryAsync(ct => _client.GetChildrenAsync(_leasesPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return ZkPaths.SortBySequence(children, "-" + LeaseName);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private async Task<Lease?> AcquireCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t && t != Timeout.InfiniteTimeSpan ? Environment.TickCount64 + (long)t.TotalMilliseconds : long.MaxValue;
        TimeSpan? Remaining() => deadline == long.MaxValue ? null : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));

        await Nodes.EnsureAsync(_client, _leasesPath, cancellationToken).ConfigureAwait(false);
        var mutex = Remaining() is { } r ? await _mutex.TryAcquireAsync(r, cancellationToken).ConfigureAwait(false) : await _mutex.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (mutex is null)
        {
            return null;
        }

        await using (mutex.ConfigureAwait(false))
        {
            var leasePath = await Nodes.CreateProtectedAsync(_client, _leasesPath, LeaseName, _nodeData, CreateMode.EphemeralSequential, cancellationToken).ConfigureAwait(false);
            var leaseName = ZkPaths.NodeName(leasePath);
            var granted = false;
            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var watched = await _client.RetryAsync(ct => _client.WatchChildrenAsync(_leasesPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                    var leases = ZkPaths.SortBySequence(watched.Children, "-" + LeaseName);
                    if (!leases.Contains(leaseName))
                    {
                        throw new NoNodeException(leasePath);
                    }

                    if (leases.Count <= MaxLeases)
                    {
                        granted = true;
                        return new Lease(_client, leasePath, new OwnershipMonitor(_client, leasePath, LossPolicy));
                    }

                    var remaining = Remaining();
                    if (remaining == TimeSpan.Zero)
                    {
                        return null;
                    }

                    try
                    {
                        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, mutex.LostToken);
                        var e = await watched.Changed.WaitAsync(remaining ?? Timeout.InfiniteTimeSpan, linked.Token).ConfigureAwait(false);
                        if (e.State is KeeperState.Expired or KeeperState.Closed)
                        {
                            throw new SessionExpiredException(leasePath);
                        }
                    }
                    catch (TimeoutException)
                    {
                        return null;
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new SessionExpiredException(leasePath);
                    }
                }
            }
            finally
            {
                if (!granted)
                {
                    await Nodes.DeleteQuietlyAsync(_client, leasePath).ConfigureAwait(false);
                }
            }
        }
    }
}

/// <summary>
/// A lease of an <see cref="InterProcessSemaphore"/>. Dispose it (or call <see cref="ReleaseAsync"/>) to return it;
/// <see cref="LostToken"/> is cancelled if it is lost first.
/// </summary>
public sealed class Lease : IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly OwnershipMonitor _monitor;
    private int _released;

    internal Lease(CoordinationClient client, string path, OwnershipMonitor monitor)
    {
        _client = client;
        Path = path;
        _monitor = monitor;
    }

    /// <summary>The lease node.</summary>
    public string Path { get; }

    /// <summary>Whether the lease was lost.</summary>
    public bool IsLost => _monitor.IsLost;

    /// <summary>Cancelled when the lease is lost; never by a normal release.</summary>
    public CancellationToken LostToken => _monitor.Token;

    /// <summary>Returns the lease (deletes its node); harmless when called again.</summary>
    public async Task ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _monitor.Dispose();
            await Nodes.DeleteQuietlyAsync(_client, Path).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
