using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// A distributed FIFO queue whose items survive consumers that die (Curator's DistributedQueue with a lock path).
/// <para>
/// <b>How.</b> <see cref="PutAsync"/> creates a persistent sequential node <c>{path}/items/item-N</c>, so the server's
/// sequence orders the items. Taking is two-phase: <see cref="TakeAsync(CancellationToken)"/> claims the oldest
/// unclaimed item by creating the ephemeral node <c>{path}/claims/item-N</c> (a create succeeds for one consumer
/// only) and returns it with its data; <see cref="QueueItem.CompleteAsync"/> then deletes the item and the claim in
/// one transaction. Disposing an item without completing it (or the consumer's session ending) deletes only the
/// claim, and the item is taken again. Waiting consumers watch the children of <c>items</c> and <c>claims</c>.
/// </para>
/// <para>
/// <b>Guarantees.</b> Every item is delivered at least once and completed at most once: no item is lost when a
/// consumer dies (its claim goes with its session), and while consumers stay alive no item is handed to two of them.
/// Items are handed out in FIFO order of their puts (completion order depends on the consumers). A claim is lost,
/// and <see cref="QueueItem.LostToken"/> cancelled, when the consumer's session is lost, the client is disposed, or
/// the claim is deleted; completing a lost claim throws <see cref="QueueItemLostException"/> because another consumer
/// may have the item by then (which is why processing should be idempotent).
/// </para>
/// <code>
/// var queue = new DistributedQueue(client, "/queues/emails");
/// await queue.PutAsync(Encoding.UTF8.GetBytes("hello"));
///
/// await using var item = await queue.TakeAsync(ct);
/// await SendAsync(item.Data, item.LostToken);
/// await item.CompleteAsync();
/// </code>
/// </summary>
public sealed class DistributedQueue
{
    private const string ItemName = "item-";
    private readonly CoordinationClient _client;
    private readonly string _itemsPath;
    private readonly string _claimsPath;
    private readonly OwnershipLossPolicy _lossPolicy;
    private bool _ensured;

    /// <summary>Creates a queue on <paramref name="path"/> (created when missing).</summary>
    public DistributedQueue(CoordinationClient client, string path, OwnershipLossPolicy lossPolicy = OwnershipLossPolicy.SessionLost)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
        _itemsPath = ZkPaths.Join(path, "items");
        _claimsPath = ZkPaths.Join(path, "claims");
        _lossPolicy = lossPolicy;
    }

    /// <summary>The queue's node.</summary>
    public string Path { get; }

    /// <summary>
    /// Adds an item and returns its node's path. If the connection drops during the put the item may or may not have
    /// been added and the <see cref="ConnectionLossException"/> is thrown (retrying could add it twice).
    /// </summary>
    public async Task<string> PutAsync(byte[] data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        return await _client.CreateAsync(ZkPaths.Join(_itemsPath, ItemName), data, mode: CreateMode.PersistentSequential, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many items are in the queue (claimed or not).</summary>
    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var items = await _client.RetryAsync(ct => _client.GetChildrenAsync(_itemsPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return items.Count;
        }
        catch (NoNodeException)
        {
            return 0;
        }
    }

    /// <summary>Claims the oldest free item, waiting for one without time limit.</summary>
    public async Task<QueueItem> TakeAsync(CancellationToken cancellationToken = default) =>
        await TakeCoreAsync(long.MaxValue, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("unreachable: no timeout");

    /// <summary>Claims the oldest free item, waiting at most <paramref name="timeout"/> (zero: do not wait); null when there was none.</summary>
    public Task<QueueItem?> TryTakeAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TakeCoreAsync(Environment.TickCount64 + (long)timeout.TotalMilliseconds, cancellationToken);

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (!_ensured)
        {
            await Nodes.EnsureAsync(_client, _itemsPath, cancellationToken).ConfigureAwait(false);
            await Nodes.EnsureAsync(_client, _claimsPath, cancellationToken).ConfigureAwait(false);
            _ensured = true;
        }
    }

    private async Task<QueueItem?> TakeCoreAsync(long deadline, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Watch both lists first: a put, or a claim that goes away, then wakes us even if it happens right now.
            var items = await _client.RetryAsync(ct => _client.WatchChildrenAsync(_itemsPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            var claims = await _client.RetryAsync(ct => _client.WatchChildrenAsync(_claimsPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            var claimed = claims.Children.ToHashSet(StringComparer.Ordinal);
            foreach (var name in ZkPaths.SortBySequence(items.Children, ItemName))
            {
                if (claimed.Contains(name))
                {
                    continue;
                }

                var item = await TryClaimAsync(name, cancellationToken).ConfigureAwait(false);
                if (item is not null)
                {
                    return item;
                }
            }

            var remaining = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            if (remaining == TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                var changed = await Task.WhenAny(items.Changed, claims.Changed).WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
                DistributedBarrier.ThrowIfSessionEnded(await changed.ConfigureAwait(false), Path);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    private async Task<QueueItem?> TryClaimAsync(string name, CancellationToken cancellationToken)
    {
        var claimPath = ZkPaths.Join(_claimsPath, name);
        var itemPath = ZkPaths.Join(_itemsPath, name);
        var sessionId = _client.SessionId;
        var marker = Guid.NewGuid().ToByteArray();
        try
        {
            await _client.CreateAsync(claimPath, marker, mode: CreateMode.Ephemeral).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            return null;
        }
        catch (ConnectionLossException)
        {
            // The claim may have been made: it is ours only if it holds our marker.
            try
            {
                var existing = await _client.RetryAsync(ct => _client.GetDataAsync(claimPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!existing.Data.AsSpan().SequenceEqual(marker))
                {
                    return null;
                }
            }
            catch (NoNodeException)
            {
                return null;
            }
        }

        var monitor = new OwnershipMonitor(_client, claimPath, _lossPolicy);
        try
        {
            var data = await _client.RetryAsync(ct => _client.GetDataAsync(itemPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new QueueItem(_client, itemPath, claimPath, data.Data, sessionId, monitor);
        }
        catch (Exception e)
        {
            // Completed by its previous claimant just before we claimed it (NoNode), or cancelled: give the claim back.
            monitor.Dispose();
            await Nodes.DeleteQuietlyAsync(_client, claimPath).ConfigureAwait(false);
            if (e is NoNodeException)
            {
                return null;
            }

            throw;
        }
    }
}

/// <summary>
/// An item claimed from a <see cref="DistributedQueue"/>. Call <see cref="CompleteAsync"/> once it has been processed;
/// disposing it without completing gives it back to the queue.
/// </summary>
public sealed class QueueItem : IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly string _claimPath;
    private readonly long _sessionId;
    private readonly OwnershipMonitor _monitor;
    private int _done;

    internal QueueItem(CoordinationClient client, string path, string claimPath, byte[] data, long sessionId, OwnershipMonitor monitor)
    {
        _client = client;
        Path = path;
        _claimPath = claimPath;
        Data = data;
        _sessionId = sessionId;
        _monitor = monitor;
    }

    /// <summary>The item's node.</summary>
    public string Path { get; }

    /// <summary>The item's data.</summary>
    public byte[] Data { get; }

    /// <summary>Whether the claim was lost (another consumer may take the item).</summary>
    public bool IsLost => _monitor.IsLost;

    /// <summary>Cancelled when the claim is lost.</summary>
    public CancellationToken LostToken => _monitor.Token;

    /// <summary>
    /// Removes the item from the queue (item and claim deleted atomically). Throws <see cref="QueueItemLostException"/>
    /// when the claim was lost first; the item may then be delivered again.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            throw new InvalidOperationException("the item was already completed or abandoned");
        }

        try
        {
            if (_monitor.IsLost || _client.SessionId != _sessionId)
            {
                throw new QueueItemLostException(Path, _monitor.Reason ?? "the session changed");
            }

            try
            {
                await _client.Transaction().Delete(_claimPath).Delete(Path).CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
                // Applied or not: if our claim is still there the transaction did not happen.
                var claim = await _client.RetryAsync(ct => _client.ExistsAsync(_claimPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (claim is not null && claim.Value.EphemeralOwner == _sessionId)
                {
                    await _client.RetryAsync(ct => _client.Transaction().Delete(_claimPath).Delete(Path).CommitAsync(ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is SessionExpiredException or NoNodeException)
            {
                throw new QueueItemLostException(Path, e.Message);
            }
        }
        finally
        {
            _monitor.Dispose();
        }
    }

    /// <summary>Gives the item back to the queue (deletes the claim); harmless after <see cref="CompleteAsync"/>.</summary>
    public async Task AbandonAsync()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            _monitor.Dispose();
            if (!_monitor.IsLost && _client.SessionId == _sessionId)
            {
                await Nodes.DeleteQuietlyAsync(_client, _claimPath).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(AbandonAsync());
}

/// <summary>A queue item's claim was lost before it was completed; the item may be (or have been) delivered again.</summary>
public sealed class QueueItemLostException(string path, string reason) : Exception($"the claim on {path} was lost: {reason}")
{
    /// <summary>The item's node.</summary>
    public string Path { get; } = path;
}
