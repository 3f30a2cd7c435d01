using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// A barrier that holds every waiter until it is removed (Curator's DistributedBarrier).
/// <para>
/// <b>How.</b> The barrier is up while its node exists. <see cref="WaitOnBarrierAsync(CancellationToken)"/> sets an
/// exists watch and returns once the node is deleted; <see cref="SetBarrierAsync"/> creates it and
/// <see cref="RemoveBarrierAsync"/> deletes it.
/// </para>
/// <para>
/// <b>Guarantees.</b> Waiters pass only after the node was deleted; a barrier set after that holds new waiters again.
/// The node is persistent, so a barrier set by a process that dies stays up until someone removes it. A waiter whose
/// session is lost gets <see cref="SessionExpiredException"/>.
/// </para>
/// <code>
/// var barrier = new DistributedBarrier(client, "/barriers/deploy");
/// await barrier.SetBarrierAsync();              // coordinator
/// await barrier.WaitOnBarrierAsync(ct);          // workers wait here ...
/// await barrier.RemoveBarrierAsync();           // ... until the coordinator lets them through
/// </code>
/// </summary>
public sealed class DistributedBarrier
{
    private readonly CoordinationClient _client;

    /// <summary>Creates a barrier on <paramref name="path"/>.</summary>
    public DistributedBarrier(CoordinationClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
    }

    /// <summary>The barrier's node.</summary>
    public string Path { get; }

    /// <summary>Raises the barrier (creates the node and its parents); raising it twice is harmless.</summary>
    public async Task SetBarrierAsync(CancellationToken cancellationToken = default)
    {
        await Nodes.EnsureAsync(_client, ZkPaths.Parent(Path), cancellationToken).ConfigureAwait(false);
        await _client.RetryAsync(
            async ct =>
            {
                try
                {
                    await _client.CreateAsync(Path, null, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (NodeExistsException)
                {
                    // Up already (perhaps by our own create whose reply was lost).
                }
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the barrier, letting every waiter through; removing a missing barrier is harmless.</summary>
    public Task RemoveBarrierAsync(CancellationToken cancellationToken = default) =>
        _client.RetryAsync(
            async ct =>
            {
                try
                {
                    await _client.DeleteAsync(Path, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    // Not up.
                }
            },
            cancellationToken: cancellationToken);

    /// <summary>Waits until the barrier is removed (returns at once when it is not up).</summary>
    public async Task WaitOnBarrierAsync(CancellationToken cancellationToken = default) =>
        await WaitOnBarrierAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    /// <summary>Waits at most <paramref name="timeout"/> until the barrier is removed; returns whether it was.</summary>
    public async Task<bool> WaitOnBarrierAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var watched = await _client.RetryAsync(ct => _client.WatchExistsAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (watched.Stat is null)
            {
                return true;
            }

            var remaining = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            try
            {
                var e = await watched.Changed.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
                ThrowIfSessionEnded(e, Path);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }

    internal static void ThrowIfSessionEnded(WatchEvent e, string path)
    {
        if (e.State == KeeperState.Expired)
        {
            throw new SessionExpiredException(path);
        }

        if (e.State == KeeperState.Closed)
        {
            throw new ObjectDisposedException(nameof(CoordinationClient));
        }
    }
}
