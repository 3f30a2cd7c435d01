namespace Orleans.Coordination.Consensus;

/// <summary>
/// Static configuration of one <see cref="ReplicaCore"/>. Timing is in ticks: the shell calls
/// <see cref="ReplicaCore.Tick"/> at a fixed period (for example tickTime / 2), and every timeout below counts
/// those calls, so the core never reads a clock.
/// </summary>
public sealed class ReplicaOptions
{
    /// <summary>This server's id; must be one of <see cref="Members"/>.</summary>
    public required int ServerId { get; init; }

    /// <summary>Every member of the ensemble, this server included. All members must share the same list.</summary>
    public required IReadOnlyList<EnsembleMember> Members { get; init; }

    /// <summary>The leader pings every member this often; pings carry the commit point and check leadership.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>While looking for a leader, notifications are sent again after this many ticks without a decision.</summary>
    public int ElectionTimeoutTicks { get; init; } = 4;

    /// <summary>Once a vote has a quorum, wait this many ticks for a better vote before deciding (ZooKeeper's finalizeWait).</summary>
    public int FinalizeWaitTicks { get; init; } = 1;

    /// <summary>Discovery and synchronisation must finish within this many ticks or the server looks for a leader again.</summary>
    public int InitLimitTicks { get; init; } = 10;

    /// <summary>
    /// In broadcast, a follower that hears nothing from its leader for this many ticks, or a leader that has not
    /// heard from a quorum for this many ticks, gives up and looks for a leader again.
    /// </summary>
    public int SyncLimitTicks { get; init; } = 5;

    /// <summary>The most records one proposal or inform message carries; more are split into several messages.</summary>
    public int MaxRecordsPerMessage { get; init; } = 1000;

    /// <summary>
    /// A proposal or inform message stops taking records once their payloads reach this many bytes (a larger record
    /// still travels alone). The default keeps each message below .NET's large object heap threshold (85,000 bytes),
    /// where a buffer that dies young is expensive: it is only reclaimed by a full collection.
    /// </summary>
    public int MaxBytesPerMessage { get; init; } = 64 * 1024;

    /// <summary>
    /// Applied records kept in memory for followers that fall behind or reconnect (ZooKeeper's commitLogCount); a
    /// follower further behind gets a SNAP. Older records are forgotten as new ones are applied, so under write load
    /// they die young rather than pile up until the next snapshot, which cost full garbage collections.
    /// </summary>
    public int CommitLogCount { get; init; } = 5_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Members is null || Members.Count == 0)
        {
            throw new ArgumentException("Members: the ensemble needs at least one member");
        }

        if (Members.Select(m => m.Id).Distinct().Count() != Members.Count)
        {
            throw new ArgumentException("Members: server ids must be unique");
        }

        if (Members.Any(m => m.Id < 0))
        {
            throw new ArgumentException("Members: server ids must be non-negative");
        }

        if (!Members.Any(m => m.Role == MemberRole.Voter))
        {
            throw new ArgumentException("Members: the ensemble needs at least one voter");
        }

        if (!Members.Any(m => m.Id == ServerId))
        {
            throw new ArgumentException($"ServerId: {ServerId} is not a member of the ensemble");
        }

        Positive(HeartbeatTicks, nameof(HeartbeatTicks));
        Positive(ElectionTimeoutTicks, nameof(ElectionTimeoutTicks));
        Positive(InitLimitTicks, nameof(InitLimitTicks));
        Positive(SyncLimitTicks, nameof(SyncLimitTicks));
        Positive(MaxRecordsPerMessage, nameof(MaxRecordsPerMessage));
        Positive(MaxBytesPerMessage, nameof(MaxBytesPerMessage));
        Positive(CommitLogCount, nameof(CommitLogCount));
        if (FinalizeWaitTicks < 0)
        {
            throw new ArgumentException($"{nameof(FinalizeWaitTicks)}: must not be negative");
        }

        if (SyncLimitTicks <= HeartbeatTicks)
        {
            throw new ArgumentException($"{nameof(SyncLimitTicks)}: must be greater than {nameof(HeartbeatTicks)} ({HeartbeatTicks})");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name}: must be positive, was {value}");
        }
    }
}
