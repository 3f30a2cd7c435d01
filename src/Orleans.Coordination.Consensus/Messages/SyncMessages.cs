namespace Orleans.Coordination.Consensus.Messages;

/// <summary>How the leader brings a follower's log in line with its own history.</summary>
public enum SyncKind : byte
{
    /// <summary>The follower's last zxid is in the leader's history: send what comes after it.</summary>
    Diff = 1,

    /// <summary>The follower has records the leader's history lacks: drop them, then send what follows.</summary>
    Trunc = 2,

    /// <summary>The leader no longer has the records the follower needs: send a snapshot, then what follows it.</summary>
    Snap = 3,
}

/// <summary>DIFF: the follower keeps its log (which ends at <paramref name="FromZxid"/>) and appends <paramref name="Records"/>.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Session">The follower's session.</param>
/// <param name="FromZxid">The follower's last zxid, which the leader's history contains.</param>
/// <param name="Records">The leader's records after <paramref name="FromZxid"/>, committed or only proposed.</param>
public sealed record Diff(long Epoch, long Session, long FromZxid, IReadOnlyList<LogEntry> Records) : ReplicaMessage;

/// <summary>TRUNC: the follower drops every record after <paramref name="TruncateAfterZxid"/>, then appends <paramref name="Records"/>.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Session">The follower's session.</param>
/// <param name="TruncateAfterZxid">The last zxid the follower's log shares with the leader's history.</param>
/// <param name="Records">The leader's records after <paramref name="TruncateAfterZxid"/>.</param>
public sealed record Trunc(long Epoch, long Session, long TruncateAfterZxid, IReadOnlyList<LogEntry> Records) : ReplicaMessage;

/// <summary>SNAP: the follower installs the leader's snapshot of applied state, then appends <paramref name="Records"/>.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Session">The follower's session.</param>
/// <param name="SnapshotZxid">The zxid the snapshot reflects (a committed zxid of the leader's history).</param>
/// <param name="Snapshot">The shell's opaque snapshot bytes.</param>
/// <param name="Records">The leader's records after <paramref name="SnapshotZxid"/>.</param>
public sealed record Snap(long Epoch, long Session, long SnapshotZxid, byte[] Snapshot, IReadOnlyList<LogEntry> Records) : ReplicaMessage;

/// <summary>
/// NEWLEADER: follows the DIFF/TRUNC/SNAP. The follower acknowledges it only once everything it was sent is durable
/// and its currentEpoch is durably <paramref name="Epoch"/>.
/// </summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Session">The follower's session.</param>
/// <param name="LastZxid">The last zxid of the history the follower now holds.</param>
public sealed record NewLeader(long Epoch, long Session, long LastZxid) : ReplicaMessage;

/// <summary>ACK of NEWLEADER: the follower's log up to <paramref name="LastZxid"/> and its currentEpoch are durable.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Session">The follower's session.</param>
/// <param name="LastZxid">The follower's durable last zxid.</param>
public sealed record AckNewLeader(long Epoch, long Session, long LastZxid) : ReplicaMessage;

/// <summary>The follower cannot apply a DIFF or TRUNC (it lacks the zxid to continue from) and asks for a SNAP.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Session">The follower's session.</param>
public sealed record SnapNeeded(long Epoch, long Session) : ReplicaMessage;
