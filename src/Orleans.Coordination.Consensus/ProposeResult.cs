namespace Orleans.Coordination.Consensus;

/// <summary>Why <see cref="ReplicaCore.Propose"/> refused a payload.</summary>
public enum ProposeRejection
{
    /// <summary>Accepted; not a rejection.</summary>
    None,

    /// <summary>This server is not an established leader; forward to <see cref="ProposeResult.LeaderId"/> if known.</summary>
    NotLeader,

    /// <summary>The leader has fewer than a quorum of voters attached, so nothing can commit now.</summary>
    NoQuorum,

    /// <summary>The epoch's zxid counter is exhausted; the leader steps down so a new epoch starts.</summary>
    EpochExhausted,
}

/// <summary>The answer to <see cref="ReplicaCore.Propose"/>.</summary>
/// <param name="Zxid">The zxid stamped on the proposal (0 when rejected).</param>
/// <param name="Rejection">Why it was refused, or <see cref="ProposeRejection.None"/>.</param>
/// <param name="LeaderId">The leader this server knows of (-1 when none).</param>
public readonly record struct ProposeResult(long Zxid, ProposeRejection Rejection, int LeaderId)
{
    /// <summary>Whether the payload was stamped and proposed.</summary>
    public bool Accepted => Rejection == ProposeRejection.None;
}
