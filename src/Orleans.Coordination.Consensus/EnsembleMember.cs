namespace Orleans.Coordination.Consensus;

/// <summary>Whether a member votes (elections, quorums) or only replicates.</summary>
public enum MemberRole
{
    /// <summary>Votes in elections and counts toward every quorum.</summary>
    Voter,

    /// <summary>Receives committed transactions and serves reads, never votes, never leads.</summary>
    Observer,
}

/// <summary>One server of the ensemble, as every member's configuration lists it.</summary>
/// <param name="Id">The server id (ZooKeeper's myid); unique within the ensemble, non-negative.</param>
/// <param name="Role">Voter or observer.</param>
public sealed record EnsembleMember(int Id, MemberRole Role);
