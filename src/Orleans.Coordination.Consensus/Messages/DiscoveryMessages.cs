namespace Orleans.Coordination.Consensus.Messages;

/// <summary>
/// FOLLOWERINFO: a follower (or observer) connects to the leader it elected. Sent again periodically until answered.
/// </summary>
/// <param name="Session">Identifies this connection attempt (incarnation and attempt); echoed by the leader.</param>
/// <param name="AcceptedEpoch">The follower's acceptedEpoch.</param>
/// <param name="AcceptedLeaderId">The leader that proposed <paramref name="AcceptedEpoch"/> (-1 if unknown).</param>
/// <param name="CurrentEpoch">The follower's currentEpoch.</param>
/// <param name="LastZxid">The follower's last logged zxid.</param>
/// <param name="IsObserver">Whether the follower is an observer.</param>
public sealed record FollowerInfo(long Session, long AcceptedEpoch, int AcceptedLeaderId, long CurrentEpoch, long LastZxid, bool IsObserver) : ReplicaMessage;

/// <summary>NEWEPOCH (LEADERINFO): the epoch the leader proposes, greater than every acceptedEpoch of a quorum.</summary>
/// <param name="Epoch">The proposed epoch.</param>
/// <param name="Session">The follower's session, echoed.</param>
public sealed record NewEpoch(long Epoch, long Session) : ReplicaMessage;

/// <summary>ACKEPOCH: the follower made <paramref name="Epoch"/> its durable acceptedEpoch and reports its history.</summary>
/// <param name="Epoch">The acknowledged epoch.</param>
/// <param name="Session">The follower's session.</param>
/// <param name="CurrentEpoch">The follower's currentEpoch.</param>
/// <param name="LastZxid">The follower's last logged zxid, from which the leader plans DIFF, TRUNC or SNAP.</param>
public sealed record AckEpoch(long Epoch, long Session, long CurrentEpoch, long LastZxid) : ReplicaMessage;
