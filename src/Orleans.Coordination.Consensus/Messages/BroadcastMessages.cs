namespace Orleans.Coordination.Consensus.Messages;

/// <summary>
/// PROPOSAL (batched): records the leader stamped in <paramref name="Epoch"/>, to append after
/// <paramref name="PrevZxid"/>. A follower whose log does not end at <paramref name="PrevZxid"/> answers
/// <see cref="Nack"/> instead of leaving a gap.
/// </summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="PrevZxid">The zxid the first record follows.</param>
/// <param name="Records">Consecutive records of the leader's history.</param>
/// <param name="CommitZxid">The leader's commit point (piggybacked COMMIT).</param>
public sealed record Proposal(long Epoch, long PrevZxid, IReadOnlyList<LogEntry> Records, long CommitZxid) : ReplicaMessage;

/// <summary>INFORM: like <see cref="Proposal"/> but to an observer and only with committed records.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="PrevZxid">The zxid the first record follows.</param>
/// <param name="Records">Consecutive committed records.</param>
/// <param name="CommitZxid">The leader's commit point.</param>
public sealed record Inform(long Epoch, long PrevZxid, IReadOnlyList<LogEntry> Records, long CommitZxid) : ReplicaMessage;

/// <summary>ACK: every record of the follower's log up to <paramref name="Zxid"/> is durable (cumulative).</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Zxid">The follower's durable point.</param>
public sealed record Ack(long Epoch, long Zxid) : ReplicaMessage;

/// <summary>The follower's log ends at <paramref name="LastZxid"/>: resend from there.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="LastZxid">The follower's last logged zxid.</param>
public sealed record Nack(long Epoch, long LastZxid) : ReplicaMessage;

/// <summary>COMMIT: every record up to <paramref name="Zxid"/> is committed (cumulative).</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Zxid">The commit point.</param>
public sealed record Commit(long Epoch, long Zxid) : ReplicaMessage;

/// <summary>PING from the leader: keeps followers attached, carries the commit point, confirms leadership by round.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Round">Heartbeat round, echoed in <see cref="PingAck"/>.</param>
/// <param name="CommitZxid">The leader's commit point.</param>
/// <param name="LastZxid">The leader's last proposed zxid.</param>
public sealed record Ping(long Epoch, long Round, long CommitZxid, long LastZxid) : ReplicaMessage;

/// <summary>Answer to <see cref="Ping"/> with the follower's progress.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Round">The ping's round.</param>
/// <param name="LastZxid">The follower's last logged zxid.</param>
/// <param name="DurableZxid">The follower's durable point.</param>
public sealed record PingAck(long Epoch, long Round, long LastZxid, long DurableZxid) : ReplicaMessage;
