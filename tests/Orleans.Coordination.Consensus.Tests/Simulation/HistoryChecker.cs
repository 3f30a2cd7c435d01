namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>
/// The safety oracle. Builds the one global history from every delivery and checks, as each event happens:
/// every server's applied sequence is a prefix of the global history (so nothing committed is lost or reordered);
/// at most one leader per epoch; acknowledged writes stay in the history and durable on a quorum.
/// </summary>
internal sealed class HistoryChecker(int quorum)
{
    private readonly List<(long Zxid, long Id)> _global = [];
    private readonly Dictionary<long, int> _epochLeaders = [];
    private readonly List<(long Id, long Zxid)> _acked = [];
    private readonly Dictionary<long, long> _stamped = [];

    public IReadOnlyList<(long Zxid, long Id)> Global => _global;

    public IReadOnlyList<(long Id, long Zxid)> Acked => _acked;

    public long MaxAckedZxid { get; private set; }

    public int EpochsSeen => _epochLeaders.Count;

    /// <summary>Server <paramref name="node"/> applied <paramref name="entry"/> as its applied sequence's element <paramref name="position"/>.</summary>
    public void Applied(SimNode node, int position, (long Zxid, long Id) entry)
    {
        if (position < _global.Count)
        {
            if (_global[position] != entry)
            {
                throw new SimulationFailure($"divergence: #{node.Id} applied {Zxid.Format(entry.Zxid)}/w{entry.Id} at position {position}, but the history has {Zxid.Format(_global[position].Zxid)}/w{_global[position].Id} there");
            }

            return;
        }

        if (position != _global.Count)
        {
            throw new SimulationFailure($"#{node.Id} applied position {position} beyond the history's end {_global.Count}");
        }

        if (_global.Count > 0 && entry.Zxid <= _global[^1].Zxid)
        {
            throw new SimulationFailure($"reorder: #{node.Id} applied {Zxid.Format(entry.Zxid)} after {Zxid.Format(_global[^1].Zxid)}");
        }

        _global.Add(entry);
    }

    /// <summary>A server replaced its state with a snapshot: the snapshot must be a prefix of the history.</summary>
    public void SnapshotInstalled(SimNode node, IReadOnlyList<(long Zxid, long Id)> state)
    {
        for (var i = 0; i < state.Count; i++)
        {
            if (i >= _global.Count || _global[i] != state[i])
            {
                throw new SimulationFailure($"#{node.Id} installed a snapshot whose element {i} ({Zxid.Format(state[i].Zxid)}/w{state[i].Id}) is not the history's");
            }
        }
    }

    public void Status(SimNode node, ReplicaStatus status)
    {
        if (!status.IsServing || status.Epoch == 0)
        {
            return;
        }

        if (_epochLeaders.TryGetValue(status.Epoch, out var leader))
        {
            if (leader != status.LeaderId)
            {
                throw new SimulationFailure($"two leaders in epoch {status.Epoch}: #{leader} and #{status.LeaderId} (reported by #{node.Id})");
            }
        }
        else
        {
            _epochLeaders[status.Epoch] = status.LeaderId;
        }
    }

    /// <summary>A leader stamped write <paramref name="id"/> with <paramref name="zxid"/>: one zxid, one txn, ever.</summary>
    public void Stamped(int leader, long zxid, long id)
    {
        if (_stamped.TryGetValue(zxid, out var other) && other != id)
        {
            throw new SimulationFailure($"zxid {Zxid.Format(zxid)} stamped twice: w{other} and w{id} (second by #{leader})");
        }

        _stamped[zxid] = id;
    }

    /// <summary>A client got an acknowledgement for write <paramref name="id"/>, applied at <paramref name="zxid"/>.</summary>
    public void Acknowledged(long id, long zxid)
    {
        _acked.Add((id, zxid));
        MaxAckedZxid = Math.Max(MaxAckedZxid, zxid);
    }

    /// <summary>Every acknowledged write is durable (log or snapshot) on a quorum of voters.</summary>
    public void CheckAckedDurable(IReadOnlyList<SimNode> nodes)
    {
        foreach (var (id, zxid) in _acked)
        {
            var copies = 0;
            foreach (var node in nodes)
            {
                if (!node.IsObserver && node.Disk.HasDurable(zxid))
                {
                    copies++;
                }
            }

            if (copies < quorum)
            {
                throw new SimulationFailure($"acknowledged write w{id} at {Zxid.Format(zxid)} is durable on only {copies} voters (quorum {quorum})");
            }
        }
    }
}
