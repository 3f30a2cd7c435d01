namespace Orleans.Coordination.Consensus.Messages;

/// <summary>What a server is doing, as told in its election notifications.</summary>
public enum PeerState : byte
{
    /// <summary>Electing a leader.</summary>
    Looking = 1,

    /// <summary>Following <see cref="Notification.ProposedLeader"/>.</summary>
    Following = 2,

    /// <summary>Leading (itself is <see cref="Notification.ProposedLeader"/>).</summary>
    Leading = 3,

    /// <summary>An observer looking for, or following, a leader; its notifications are questions, not votes.</summary>
    Observing = 4,
}

/// <summary>
/// Election notification (ZooKeeper's fast leader election). A looking voter sends its current vote; a server that
/// follows or leads answers a looking one with the leader it is with. Votes are ordered by
/// (<see cref="ProposedEpoch"/>, <see cref="ProposedZxid"/>, <see cref="ProposedLeader"/>).
/// </summary>
/// <param name="Round">The sender's election round (logical clock); higher rounds supersede lower ones.</param>
/// <param name="ProposedLeader">The server voted for (or followed).</param>
/// <param name="ProposedEpoch">That server's currentEpoch.</param>
/// <param name="ProposedZxid">That server's last logged zxid.</param>
/// <param name="State">The sender's own state.</param>
public sealed record Notification(long Round, int ProposedLeader, long ProposedEpoch, long ProposedZxid, PeerState State) : ReplicaMessage;
