using Orleans.Coordination.Server.Quorum;

namespace Orleans.Coordination.TestingHost;

/// <summary>Whether a silo of a <see cref="TestCluster"/> runs.</summary>
public enum SiloState
{
    /// <summary>Not running: never started, killed, or stopped.</summary>
    Stopped,

    /// <summary>Running: its ports are bound and its apply loop works.</summary>
    Running,

    /// <summary>Running but frozen by <see cref="TestCluster.Pause"/>, like a process under SIGSTOP.</summary>
    Paused,
}

/// <summary>What one silo reported at one moment.</summary>
/// <param name="ServerId">The silo's id.</param>
/// <param name="State">Whether it runs.</param>
/// <param name="Replication">
/// Its replication view (mode, leader, epoch, zxids, peers), read on its apply thread; null when it is stopped, paused,
/// or did not answer within a second.
/// </param>
/// <param name="TreeDigest">The digest of its whole data tree (equal digests mean equal trees); null when <paramref name="Replication"/> is.</param>
/// <param name="TreeZxid">The zxid of the last transaction applied to its tree; null when <paramref name="Replication"/> is.</param>
public sealed record SiloStatus(int ServerId, SiloState State, ReplicationView? Replication, ulong? TreeDigest, long? TreeZxid)
{
    /// <summary>
    /// "leader", "follower", "observer", "looking" or "standalone" as the silo says (<c>srvr</c>'s Mode), or "stopped",
    /// "paused" or "unresponsive".
    /// </summary>
    public string Mode => State switch
    {
        SiloState.Stopped => "stopped",
        SiloState.Paused => "paused",
        _ => Replication?.Mode ?? "unresponsive",
    };

    /// <summary>Whether the silo accepts client sessions now.</summary>
    public bool IsServing => State == SiloState.Running && Replication is { IsServing: true };

    /// <summary>Whether the silo serves as the leader of its ensemble (a standalone silo leads itself).</summary>
    public bool IsLeader => IsServing && Replication!.Mode is "leader" or "standalone";

    /// <summary>The last zxid applied to its tree, or -1 when unknown.</summary>
    public long AppliedZxid => Replication?.AppliedZxid ?? -1;

    /// <inheritdoc />
    public override string ToString() => Replication is null
        ? $"silo {ServerId}: {Mode}"
        : $"silo {ServerId}: {Mode}, leader {Replication.LeaderId}, epoch {Replication.Epoch}, serving {Replication.IsServing}, applied 0x{Replication.AppliedZxid:x}, committed 0x{Replication.CommittedZxid:x}, digest {TreeDigest:x16}";
}
