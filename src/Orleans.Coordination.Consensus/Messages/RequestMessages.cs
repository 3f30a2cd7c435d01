namespace Orleans.Coordination.Consensus.Messages;

/// <summary>How the leader answered a forwarded request.</summary>
public enum ForwardStatus : byte
{
    /// <summary>The leader's shell answered; <see cref="ForwardReply.Payload"/> is its opaque reply.</summary>
    Reply = 1,

    /// <summary>The receiver is not an established leader; retry after the next leader change.</summary>
    NotLeader = 2,
}

/// <summary>
/// A write a follower's client sent, forwarded to the leader for preparation and proposal. The leader's shell
/// builds the txn and proposes it; the originating silo recognises the result when it applies the committed txn
/// (the payload names the session and request), or receives a <see cref="ForwardReply"/> when no txn results.
/// </summary>
/// <param name="Origin">The server the client is connected to.</param>
/// <param name="RequestId">The origin's id for this request.</param>
/// <param name="Payload">The opaque request.</param>
public sealed record ForwardRequest(int Origin, long RequestId, byte[] Payload) : ReplicaMessage;

/// <summary>The leader's direct answer to a <see cref="ForwardRequest"/> (for example an error found in preparation).</summary>
/// <param name="RequestId">The origin's id for the request.</param>
/// <param name="Status">Whether the leader's shell answered or the receiver was not leader.</param>
/// <param name="Payload">The opaque answer (empty for <see cref="ForwardStatus.NotLeader"/>).</param>
public sealed record ForwardReply(long RequestId, ForwardStatus Status, byte[] Payload) : ReplicaMessage;

/// <summary>A follower asks for the leader's commit point (ZooKeeper's sync).</summary>
/// <param name="SyncId">The follower's id for this sync.</param>
public sealed record SyncRequest(long SyncId) : ReplicaMessage;

/// <summary>
/// The leader's commit point when the <see cref="SyncRequest"/> arrived, sent only after a quorum confirmed the
/// leader is still leading; the follower completes the sync once it has applied up to <paramref name="Zxid"/>.
/// </summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="SyncId">The follower's id for the sync.</param>
/// <param name="Zxid">The leader's commit point.</param>
public sealed record SyncReply(long Epoch, long SyncId, long Zxid) : ReplicaMessage;
