namespace Orleans.Coordination.Recipes;

/// <summary>
/// When a recipe considers something it owns (a lock, a lease, leadership, a queue claim) lost.
/// <para>
/// Ownership rests on an ephemeral node, which lives as long as the session. While the connection is
/// <see cref="Client.ConnectionState.Suspended"/> the session is probably alive, but nothing can tell for sure:
/// the servers expire it after the session timeout without hearing from the client, while the client only declares
/// it <see cref="Client.ConnectionState.Lost"/> after 4/3 of the timeout. <see cref="SessionLost"/> keeps ownership
/// through short disconnects at the price of that window, in which another client may already own the thing;
/// <see cref="ConnectionSuspended"/> gives ownership up as soon as the connection is in doubt (2/3 of the timeout
/// without a reply), before any server can expire the session, so two owners never overlap.
/// </para>
/// </summary>
public enum OwnershipLossPolicy
{
    /// <summary>Ownership ends when the session is Lost, the client is disposed, or the owning node is deleted.</summary>
    SessionLost = 0,

    /// <summary>As <see cref="SessionLost"/>, and also as soon as the connection is Suspended.</summary>
    ConnectionSuspended = 1,
}
