namespace Orleans.Coordination.Server.Quorum;

/// <summary>
/// What a silo knows of its ensemble at one moment, for 4-letter words, admin commands, metrics and tests.
/// Read it on the apply thread (<c>SiloCore.Replication</c>) or through <c>SiloCore.InvokeAsync</c>.
/// </summary>
/// <param name="Mode">"standalone", "leader", "follower", "observer" or "looking" (as <c>srvr</c>'s Mode line).</param>
/// <param name="ServerId">This silo's id.</param>
/// <param name="LeaderId">The leader this silo is with, or -1.</param>
/// <param name="Epoch">The epoch being led or followed, 0 while looking.</param>
/// <param name="IsServing">Whether clients are served (false while looking or synchronising).</param>
/// <param name="LastLoggedZxid">Last zxid in this silo's log (durable or not).</param>
/// <param name="DurableZxid">Every log record up to here is on disk.</param>
/// <param name="CommittedZxid">Highest zxid known committed.</param>
/// <param name="AppliedZxid">Last zxid applied to this silo's tree.</param>
/// <param name="ElectionCount">Elections this silo took part in since it started (0 standalone).</param>
/// <param name="LastElectionMs">How long the last election plus synchronisation took until serving, in ms (0 if none).</param>
/// <param name="ProtocolViolations">Messages that broke the protocol (non-zero means a bug: alert on it).</param>
/// <param name="Peers">The other members; empty standalone.</param>
public sealed record ReplicationView(
    string Mode,
    int ServerId,
    int LeaderId,
    long Epoch,
    bool IsServing,
    long LastLoggedZxid,
    long DurableZxid,
    long CommittedZxid,
    long AppliedZxid,
    long ElectionCount,
    double LastElectionMs,
    long ProtocolViolations,
    IReadOnlyList<PeerView> Peers)
{
    /// <summary>Voters (this silo included) the leader has in broadcast; 0 on non-leaders.</summary>
    public int SyncedVoters { get; init; }

    /// <summary>Snapshots received from a leader and installed since this silo started (a SNAP synchronisation).</summary>
    public long SnapshotsInstalled { get; init; }
}

/// <summary>One other member of the ensemble as this silo sees it.</summary>
/// <param name="ServerId">Its id.</param>
/// <param name="Role">"voter" or "observer".</param>
/// <param name="Host">Its host.</param>
/// <param name="QuorumPort">Its quorum port.</param>
/// <param name="ElectionPort">Its election port.</param>
/// <param name="ClientPort">Its client port if configured, else 0.</param>
/// <param name="Connected">Whether this silo's outbound connection to it is up.</param>
/// <param name="Phase">On the leader: the peer's sync phase ("info", "epoch", "syncing", "active"); else "".</param>
public sealed record PeerView(int ServerId, string Role, string Host, int QuorumPort, int ElectionPort, int ClientPort, bool Connected, string Phase);
