namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>One simulated server: its core (null while crashed), its disk and its applied state machine.</summary>
internal sealed class SimNode(int id, bool isObserver)
{
    public int Id { get; } = id;

    public bool IsObserver { get; } = isObserver;

    public ReplicaCore? Core { get; set; }

    public SimDisk Disk { get; } = new();

    /// <summary>The applied sequence (zxid, payload id): the state machine.</summary>
    public List<(long Zxid, long Id)> Applied { get; set; } = [];

    /// <summary>Bumped on every crash and restart; events for an older incarnation are ignored.</summary>
    public int Incarnation { get; set; }

    public bool Up => Core is not null;

    public bool FlushScheduled { get; set; }

    public long AppliedZxid => Applied.Count > 0 ? Applied[^1].Zxid : 0;
}
