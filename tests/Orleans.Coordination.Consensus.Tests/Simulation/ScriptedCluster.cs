using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>
/// A <see cref="SimCluster"/> driven by hand: messages wait in <see cref="InFlight"/> until a test delivers or drops
/// them, disks flush only when told to, and nothing is random. Used for the scripted scenarios.
/// </summary>
internal sealed class ScriptedCluster
{
    private readonly Random _tornTail = new(1);

    public ScriptedCluster(int voters, int observers = 0, int commitLogCount = 5_000)
    {
        Cluster = new SimCluster(voters, observers, commitLogCount: commitLogCount)
        {
            OnSend = (from, to, message) => InFlight.Add((from, to, message)),
            OnSnapshotRequested = node => SnapshotsRequested.Add(node.Id),
            RecordOutputs = true,
        };
    }

    public SimCluster Cluster { get; }

    public List<(int From, int To, ReplicaMessage Message)> InFlight { get; } = [];

    public List<int> SnapshotsRequested { get; } = [];

    /// <summary>Leaders answer snapshot requests with their newest durable snapshot rather than their applied state.</summary>
    public bool ServeDiskSnapshots { get; set; }

    /// <summary>Servers whose disks flush on their own after every step (the others keep writes pending).</summary>
    public HashSet<int> AutoFlush { get; } = [];

    /// <summary>
    /// Per server: which queued requests flush on their own (the queue flushes in order, so it stops at the first
    /// request the filter refuses). Servers without a filter flush everything when in <see cref="AutoFlush"/>.
    /// </summary>
    public Dictionary<int, Func<DiskOp, bool>> FlushFilter { get; } = [];

    /// <summary>Links that drop everything (from, to).</summary>
    public HashSet<(int From, int To)> Cut { get; } = [];

    public SimNode this[int id] => Cluster[id];

    public ReplicaCore Core(int id) => Cluster[id].Core ?? throw new InvalidOperationException($"#{id} is down");

    public void StartAll(bool autoFlush = true)
    {
        foreach (var node in Cluster.Nodes)
        {
            if (autoFlush)
            {
                AutoFlush.Add(node.Id);
            }

            Cluster.Start(node);
        }

        FlushAuto();
    }

    /// <summary>Delivers in-flight messages (oldest first) that match <paramref name="filter"/>, until none is left.</summary>
    public int Deliver(Func<int, int, ReplicaMessage, bool>? filter = null, int max = 100_000)
    {
        var delivered = 0;
        while (delivered < max)
        {
            var index = InFlight.FindIndex(m => filter is null || filter(m.From, m.To, m.Message));
            if (index < 0)
            {
                break;
            }

            var (from, to, message) = InFlight[index];
            InFlight.RemoveAt(index);
            delivered++;
            var node = Cluster[to];
            if (!node.Up || Cut.Contains((from, to)))
            {
                continue;
            }

            // Through the codec, as a real transport would.
            Cluster.Deliver(from, node, MessageCodec.Decode(MessageCodec.Encode(message)));
            FlushAuto();
        }

        return delivered;
    }

    public void Drop(Func<int, int, ReplicaMessage, bool> filter) =>
        InFlight.RemoveAll(m => filter(m.From, m.To, m.Message));

    public void Tick(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var node in Cluster.Nodes.Where(n => n.Up))
            {
                Cluster.Tick(node);
            }

            FlushAuto();
        }
    }

    /// <summary>Ticks and delivers everything until <paramref name="done"/> holds (at most <paramref name="maxTicks"/> ticks).</summary>
    public void RunUntil(Func<bool> done, int maxTicks = 100)
    {
        for (var i = 0; i < maxTicks; i++)
        {
            Deliver();
            if (done())
            {
                return;
            }

            ServeSnapshots();
            Tick();
        }

        Deliver();
        if (!done())
        {
            throw new InvalidOperationException("condition not reached:\n" + string.Join("\n", Cluster.Nodes.Select(n => n.Core?.ToString() ?? $"#{n.Id} down")));
        }
    }

    public void ServeSnapshots()
    {
        foreach (var id in SnapshotsRequested.ToList())
        {
            SnapshotsRequested.Remove(id);
            if (Cluster[id].Up)
            {
                Cluster.SnapshotReady(Cluster[id], ServeDiskSnapshots);
                FlushAuto();
            }
        }
    }

    /// <summary>Flushes <paramref name="count"/> queued requests of one server and reports them.</summary>
    public void Flush(int id, int count = int.MaxValue)
    {
        var node = Cluster[id];
        foreach (var callback in Cluster.Flush(node, count))
        {
            Cluster.Callback(node, callback);
        }

        FlushAuto();
    }

    public void Crash(int id, bool keepPendingPrefix = false)
    {
        var node = Cluster[id];
        if (!keepPendingPrefix)
        {
            node.Disk.Pending.Clear();
        }

        Cluster.Crash(node, _tornTail);
        InFlight.RemoveAll(m => m.To == id);
    }

    public void Restart(int id)
    {
        Cluster.Start(Cluster[id]);
        FlushAuto();
    }

    public int Leader() => Cluster.Nodes.Single(n => n.Up && n.Core!.Role == ReplicaRole.Leading && n.Core.IsServing).Id;

    public bool AllServing(params int[] ids) => ids.All(id => Cluster[id].Up && Cluster[id].Core!.IsServing);

    public long Write(long id)
    {
        var result = Cluster.Propose(Cluster[Leader()], id);
        if (!result.Accepted)
        {
            throw new InvalidOperationException($"write w{id} rejected: {result.Rejection}");
        }

        FlushAuto();
        return result.Zxid;
    }

    /// <summary>Outputs of one server recorded since <paramref name="from"/> (an index into the output log).</summary>
    public List<ReplicaOutput> Outputs(int id, int from = 0) =>
        Cluster.OutputLog.Skip(from).Where(o => o.Node == id).Select(o => o.Output).ToList();

    public int OutputMark => Cluster.OutputLog.Count;

    private void FlushAuto()
    {
        var again = true;
        while (again)
        {
            again = false;
            foreach (var node in Cluster.Nodes)
            {
                if (!node.Up || !node.Disk.HasPending)
                {
                    continue;
                }

                var count = 0;
                if (FlushFilter.TryGetValue(node.Id, out var filter))
                {
                    while (count < node.Disk.Pending.Count && filter(node.Disk.Pending[count]))
                    {
                        count++;
                    }
                }
                else if (AutoFlush.Contains(node.Id))
                {
                    count = node.Disk.Pending.Count;
                }

                if (count > 0)
                {
                    again = true;
                    foreach (var callback in Cluster.Flush(node, count))
                    {
                        Cluster.Callback(node, callback);
                    }
                }
            }
        }
    }
}
