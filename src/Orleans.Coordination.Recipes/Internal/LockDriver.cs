using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Recipes.Internal;

/// <summary>What a waiter at <c>index</c> of the sorted contenders does: it holds the lock, or it watches one node.</summary>
internal readonly record struct LockDecision(bool Acquired, string? WatchName);

/// <summary>
/// The queue of contenders behind every lock recipe: each contender is an ephemeral sequential node below the lock's
/// path; a predicate over the nodes sorted by sequence decides whether a contender holds the lock, and if not, which
/// single earlier node it waits for (so a release wakes one waiter, never the herd).
/// </summary>
internal sealed class LockDriver(CoordinationClient client, string path, string name, string[] markers, Func<IReadOnlyList<string>, int, LockDecision> decide)
{
    public CoordinationClient Client { get; } = client;

    public string Path { get; } = path;

    /// <summary>
    /// Enqueues a contender node and waits until the predicate grants it the lock. Returns the node's path, or null
    /// when <paramref name="timeout"/> ran out first (the node is then deleted). On cancellation or error the node
    /// is deleted and the exception rethrown.
    /// </summary>
    public async Task<string?> AcquireAsync(byte[]? data, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t && t != Timeout.InfiniteTimeSpan ? Environment.TickCount64 + (long)t.TotalMilliseconds : long.MaxValue;
        cancellationToken.ThrowIfCancellationRequested();
        var ourPath = await Nodes.CreateProtectedAsync(Client, Path, name, data, CreateMode.EphemeralSequential, cancellationToken).ConfigureAwait(false);
        var acquired = false;
        try
        {
            acquired = await WaitAsync(ourPath, deadline, cancellationToken).ConfigureAwait(false);
            return acquired ? ourPath : null;
        }
        finally
        {
            if (!acquired)
            {
                await Nodes.DeleteQuietlyAsync(Client, ourPath).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The contender nodes, sorted: the first ones hold the lock.</summary>
    public async Task<List<string>> GetSortedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var children = await Client.RetryAsync(ct => Client.GetChildrenAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return ZkPaths.SortBySequence(children, markers);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private async Task<bool> WaitAsync(string ourPath, long deadline, CancellationToken cancellationToken)
    {
        var ourName = ZkPaths.NodeName(ourPath);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sorted = await GetSortedAsync(cancellationToken).ConfigureAwait(false);
            var index = sorted.IndexOf(ourName);
            if (index < 0)
            {
                // Our node is gone: the session expired, or someone deleted it.
                throw new NoNodeException(ourPath);
            }

            var decision = decide(sorted, index);
            if (decision.Acquired)
            {
                return true;
            }

            var watchPath = ZkPaths.Join(Path, decision.WatchName!);
            var watched = await Client.RetryAsync(ct => Client.WatchExistsAsync(watchPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (watched.Stat is null)
            {
                continue;
            }

            var remaining = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            if (remaining == TimeSpan.Zero)
            {
                return false;
            }

            WatchEvent e;
            try
            {
                e = await watched.Changed.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }

            if (e.State == KeeperState.Expired)
            {
                throw new SessionExpiredException(ourPath);
            }

            if (e.State == KeeperState.Closed)
            {
                throw new ObjectDisposedException(nameof(CoordinationClient));
            }
        }
    }
}
