namespace Orleans.Coordination.Consensus;

/// <summary>What a server has on disk when its <see cref="ReplicaCore"/> starts.</summary>
public sealed class ReplicaDurableState
{
    /// <summary>An empty server: no epochs, no snapshot, no log.</summary>
    public static ReplicaDurableState Empty { get; } = new();

    /// <summary>The epoch record last made durable.</summary>
    public EpochState Epochs { get; init; } = new(0, 0, -1);

    /// <summary>
    /// Zxid of the state the shell loaded before starting the core (its newest valid snapshot; 0 when none). The core
    /// treats every transaction up to here as applied.
    /// </summary>
    public long SnapshotZxid { get; init; }

    /// <summary>Durable log records with a zxid greater than <see cref="SnapshotZxid"/>, in ascending zxid order.</summary>
    public IReadOnlyList<LogEntry> Log { get; init; } = [];

    /// <summary>
    /// A zxid known to be committed (at least <see cref="SnapshotZxid"/>); records up to here are handed back for
    /// applying as soon as the core starts, the rest wait for a leader's word. Pass <see cref="SnapshotZxid"/> when
    /// nothing better is known; never pass a zxid that was not committed.
    /// </summary>
    public long CommittedZxid { get; init; }

    /// <summary>
    /// A number that differs on every start of the process (a persisted start counter or the start time in
    /// milliseconds). It keeps messages addressed to a previous incarnation from being mistaken for current ones.
    /// </summary>
    public long Incarnation { get; init; }
}
