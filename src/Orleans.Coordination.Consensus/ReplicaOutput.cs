using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

/// <summary>
/// Something the shell must do, drained in order from <see cref="ReplicaCore.TakeOutputs"/>. Log outputs
/// (<see cref="AppendToLog"/>, <see cref="TruncateLog"/>) must take effect in the order given; the epoch file
/// (<see cref="PersistEpochs"/>) and the snapshot store (<see cref="InstallSnapshot"/>) may complete independently of
/// the log, because the core waits for their reports before relying on them. <see cref="ApplyCommitted"/> outputs must
/// be applied in the order given. Messages may be sent as soon as they are drained, before earlier persistence completes.
/// </summary>
public abstract record ReplicaOutput;

/// <summary>Send <paramref name="Message"/> to server <paramref name="To"/> (best effort; the core retries what matters).</summary>
/// <param name="To">The destination server id.</param>
/// <param name="Message">The message; encode with <see cref="MessageCodec"/>.</param>
public sealed record SendMessage(int To, ReplicaMessage Message) : ReplicaOutput;

/// <summary>
/// Append <paramref name="Entries"/> (ascending zxids) to the durable log, then report durability with
/// <see cref="ReplicaCore.Persisted"/> (group commit: one report for many records is expected).
/// </summary>
/// <param name="Entries">The records to append.</param>
public sealed record AppendToLog(IReadOnlyList<LogEntry> Entries) : ReplicaOutput;

/// <summary>
/// Durably remove every log record with a zxid greater than <paramref name="AfterZxid"/> before carrying out any
/// later persistence output (ITxnLog.TruncateAfter). No completion report is needed.
/// </summary>
/// <param name="AfterZxid">The last zxid to keep.</param>
public sealed record TruncateLog(long AfterZxid) : ReplicaOutput;

/// <summary>
/// Durably write the epoch record, then call <see cref="ReplicaCore.EpochPersisted"/> with the same value.
/// </summary>
/// <param name="Epochs">The record to write.</param>
public sealed record PersistEpochs(EpochState Epochs) : ReplicaOutput;

/// <summary>
/// Replace the applied state with the leader's snapshot <paramref name="Data"/> (taken at <paramref name="Zxid"/>)
/// at once, store it durably as the newest snapshot (log records up to <paramref name="Zxid"/> become obsolete;
/// records after it must be kept), then call <see cref="ReplicaCore.SnapshotInstalled"/>. The core emits no further
/// log appends until then, so the log never gets ahead of a snapshot that is not on disk.
/// </summary>
/// <param name="Zxid">The zxid the snapshot reflects.</param>
/// <param name="Data">The leader shell's opaque snapshot bytes.</param>
public sealed record InstallSnapshot(long Zxid, byte[] Data) : ReplicaOutput;

/// <summary>
/// The leader needs a snapshot of the applied state for a follower: call <see cref="ReplicaCore.SnapshotReady"/>
/// with the zxid it reflects (no later than the last applied zxid) and its bytes.
/// </summary>
public sealed record SnapshotRequested : ReplicaOutput;

/// <summary>A committed transaction to apply to the state machine; they come strictly in zxid order.</summary>
/// <param name="Entry">The committed record.</param>
public sealed record ApplyCommitted(LogEntry Entry) : ReplicaOutput;

/// <summary>The server's role, leader or serving state changed.</summary>
/// <param name="Status">The new status.</param>
public sealed record StatusChanged(ReplicaStatus Status) : ReplicaOutput;

/// <summary>
/// (Leader) a follower forwarded a client's write: prepare it and <see cref="ReplicaCore.Propose"/> the txn, or
/// answer directly with <see cref="ReplicaCore.ReplyToForward"/>.
/// </summary>
/// <param name="Origin">The server the client is connected to.</param>
/// <param name="RequestId">The origin's request id.</param>
/// <param name="Payload">The opaque request.</param>
public sealed record ForwardedRequest(int Origin, long RequestId, byte[] Payload) : ReplicaOutput;

/// <summary>(Follower) the leader answered a request this server forwarded.</summary>
/// <param name="RequestId">The id given to <see cref="ReplicaCore.Forward"/>.</param>
/// <param name="Status">The leader's answer kind.</param>
/// <param name="Payload">The leader shell's opaque answer.</param>
public sealed record ForwardReplyReceived(long RequestId, ForwardStatus Status, byte[] Payload) : ReplicaOutput;

/// <summary>A <see cref="ReplicaCore.RequestSync"/> completed: this server has applied everything up to <paramref name="Zxid"/>.</summary>
/// <param name="SyncId">The id given to <see cref="ReplicaCore.RequestSync"/>.</param>
/// <param name="Zxid">The leader's commit point the sync waited for.</param>
public sealed record SyncCompleted(long SyncId, long Zxid) : ReplicaOutput;

/// <summary>A <see cref="ReplicaCore.RequestSync"/> failed (no established leader, leader change, or timeout); the client may retry.</summary>
/// <param name="SyncId">The id given to <see cref="ReplicaCore.RequestSync"/>.</param>
public sealed record SyncFailed(long SyncId) : ReplicaOutput;
