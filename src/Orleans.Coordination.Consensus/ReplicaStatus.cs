namespace Orleans.Coordination.Consensus;

/// <summary>The part a server plays at the moment.</summary>
public enum ReplicaRole
{
    /// <summary>Electing a leader; not serving.</summary>
    Looking,

    /// <summary>A voter attached to a leader.</summary>
    Following,

    /// <summary>The elected leader.</summary>
    Leading,

    /// <summary>An observer attached to a leader.</summary>
    Observing,
}

/// <summary>What the shell needs to know to route and admit requests.</summary>
/// <param name="Role">The current role.</param>
/// <param name="LeaderId">The leader this server is with (-1 while looking).</param>
/// <param name="Epoch">The leader's epoch once known (0 before).</param>
/// <param name="IsServing">
/// True once the leader is established (a quorum acknowledged NEWLEADER) and, on a follower or observer, once this
/// server is synchronised with it. A server that is not serving must not accept writes (it lost its quorum or has
/// not found one) and answers reads only if the client accepts possibly stale data.
/// </param>
public sealed record ReplicaStatus(ReplicaRole Role, int LeaderId, long Epoch, bool IsServing);
