using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// A double barrier (Curator's DistributedDoubleBarrier): <see cref="EnterAsync(CancellationToken)"/> returns once
/// <see cref="MemberCount"/> members have entered, and <see cref="LeaveAsync(CancellationToken)"/> returns once every
/// member has left, so a group starts and finishes a computation together.
/// <para>
/// <b>How.</b> Each member creates an ephemeral node below <see cref="Path"/> named by its id. Entering: watch for the
/// <c>ready</c> node, create the member node, and when the members number <see cref="MemberCount"/> create
/// <c>ready</c>; every member waits for it. Leaving (the ZooKeeper recipe): the lowest member waits for the highest to
/// go; every other member deletes its node and waits for the lowest; the last member deletes <c>ready</c>, so the
/// barrier can be used again once everyone has left.
/// </para>
/// <para>
/// <b>Guarantees.</b> No member passes <see cref="EnterAsync(CancellationToken)"/> before <see cref="MemberCount"/>
/// members entered, and none passes <see cref="LeaveAsync(CancellationToken)"/> before all of them left. A member
/// whose session ends counts as having left. Member nodes are ephemeral, so a member that dies does not hold the
/// others forever in <see cref="LeaveAsync(CancellationToken)"/> (but may in <see cref="EnterAsync(CancellationToken)"/>:
/// use the timeouts).
/// </para>
/// <code>
/// var barrier = new DistributedDoubleBarrier(client, "/barriers/batch-42", memberCount: 3);
/// await barrier.EnterAsync(ct);   // returns when all 3 are in
/// await ComputeAsync(ct);
/// await barrier.LeaveAsync(ct);   // returns when all 3 are done
/// </code>
/// </summary>
public sealed class DistributedDoubleBarrier
{
    private const string ReadyNode = "ready";
    private readonly CoordinationClient _client;
    private readonly string _readyPath;
    private readonly string _ourPath;

    /// <summary>Creates a double barrier for <paramref name="memberCount"/> members.</summary>
    /// <param name="client">The client whose session holds this member's node.</param>
    /// <param name="path">The barrier's node.</param>
    /// <param name="memberCount">How many members must enter before any passes.</param>
    /// <param name="id">This member's id (its node's name); a new guid by default.</param>
    public DistributedDoubleBarrier(CoordinationClient client, string path, int memberCount, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(memberCount, 1);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
        MemberCount = memberCount;
        Id = id ?? Guid.NewGuid().ToString("N");
        if (Id.Contains('/', StringComparison.Ordinal) || Id == ReadyNode)
        {
            throw new ArgumentException($"'{Id}' cannot name a member", nameof(id));
        }

        _readyPath = ZkPaths.Join(path, ReadyNode);
        _ourPath = ZkPaths.Join(path, Id);
    }

    /// <summary>The barrier's node.</summary>
    public string Path { get; }

    /// <summary>This member's id.</summary>
    public string Id { get; }

    /// <summary>How many members the barrier waits for.</summary>
    public int MemberCount { get; }

    /// <summary>Enters and waits for the other members without time limit.</summary>
    public async Task EnterAsync(CancellationToken cancellationToken = default) =>
        await EnterAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    /// <summary>Enters and waits at most <paramref name="timeout"/> for the other members; returns whether all entered.</summary>
    public async Task<bool> EnterAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Deadline(timeout);
        await Nodes.EnsureAsync(_client, Path, cancellationToken).ConfigureAwait(false);

        // Watch for "ready" before joining, so that its creation cannot slip by unseen.
        var ready = await _client.RetryAsync(ct => _client.WatchExistsAsync(_readyPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
        await _client.RetryAsync(
            async ct =>
            {
                try
                {
                    await _client.CreateAsync(_ourPath, null, mode: CreateMode.Ephemeral, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (NodeExistsException)
                {
                    // Our own create whose reply was lost, or a re-entry.
                }
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);

        if (ready.Stat is not null)
        {
            return true;
        }

        var members = await GetMembersAsync(cancellationToken).ConfigureAwait(false);
        if (members.Count >= MemberCount)
        {
            try
            {
                await _client.RetryAsync(ct => _client.CreateAsync(_readyPath, null, cancellationToken: ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                // Another member was first.
            }

            return true;
        }

        while (true)
        {
            try
            {
                var e = await ready.Changed.WaitAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false);
                DistributedBarrier.ThrowIfSessionEnded(e, _readyPath);
            }
            catch (TimeoutException)
            {
                return false;
            }

            ready = await _client.RetryAsync(ct => _client.WatchExistsAsync(_readyPath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (ready.Stat is not null)
            {
                return true;
            }
        }
    }

    /// <summary>Leaves and waits for the other members without time limit.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default) =>
        await LeaveAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    /// <summary>Leaves and waits at most <paramref name="timeout"/> for the other members; returns whether all left.</summary>
    public async Task<bool> LeaveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Deadline(timeout);
        while (true)
        {
            var members = await GetMembersAsync(cancellationToken).ConfigureAwait(false);
            var ourIndex = members.IndexOf(Id);
            if (members.Count == 0 || (members.Count == 1 && ourIndex == 0))
            {
                if (ourIndex == 0)
                {
                    await Nodes.DeleteQuietlyAsync(_client, _ourPath).ConfigureAwait(false);
                }

                // The last one out takes "ready" down, so the barrier can be used again.
                await Nodes.DeleteQuietlyAsync(_client, _readyPath).ConfigureAwait(false);
                return true;
            }

            string watch;
            if (ourIndex == 0)
            {
                // The lowest leaves last: wait for the highest.
                watch = members[^1];
            }
            else
            {
                if (ourIndex > 0)
                {
                    await Nodes.DeleteQuietlyAsync(_client, _ourPath).ConfigureAwait(false);
                }

                watch = members[0];
            }

            var watched = await _client.RetryAsync(ct => _client.WatchExistsAsync(ZkPaths.Join(Path, watch), ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (watched.Stat is null)
            {
                continue;
            }

            try
            {
                var e = await watched.Changed.WaitAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false);
                DistributedBarrier.ThrowIfSessionEnded(e, Path);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }

    private async Task<List<string>> GetMembersAsync(CancellationToken cancellationToken)
    {
        try
        {
            var children = await _client.RetryAsync(ct => _client.GetChildrenAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return [.. children.Where(c => c != ReadyNode).Order(StringComparer.Ordinal)];
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private static long Deadline(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;

    private static TimeSpan Remaining(long deadline) =>
        deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
}
