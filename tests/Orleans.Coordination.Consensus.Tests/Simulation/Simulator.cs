using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>The knobs of one schedule, all derived from its seed so that the seed alone replays it.</summary>
internal sealed record SimConfig(
    int Voters,
    int Observers,
    double DropRate,
    double DuplicateRate,
    int MaxDelay,
    int MaxDiskDelay,
    double CrashRate,
    double PartitionRate,
    int ChaosTicks,
    int WriteInterval)
{
    public const int TickLength = 10;

    public static SimConfig FromSeed(long seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        return new SimConfig(
            Voters: seed % 2 == 0 ? 3 : 5,
            Observers: seed / 2 % 4 == 0 ? 1 : 0,
            DropRate: Pick(rng, 0.0, 0.02, 0.08, 0.2),
            DuplicateRate: Pick(rng, 0.0, 0.02, 0.08),
            MaxDelay: Pick(rng, 2, 8, 20),
            MaxDiskDelay: Pick(rng, 1, 6, 25),
            CrashRate: Pick(rng, 0.01, 0.03, 0.07),
            PartitionRate: Pick(rng, 0.0, 0.02, 0.06),
            ChaosTicks: rng.Next(30, 80),
            WriteInterval: Pick(rng, 3, 6, 12));
    }

    private static T Pick<T>(Random rng, params T[] values) => values[rng.Next(values.Length)];
}

/// <summary>What a successful schedule did.</summary>
internal sealed record SimReport(long Seed, SimConfig Config, long Events, int Committed, int Acked, int Epochs, int Crashes, long Ticks, IReadOnlyDictionary<string, long> Messages);

/// <summary>
/// A seeded discrete-event simulation of one ensemble: a network that drops, delays, duplicates and reorders
/// messages and partitions and heals, disks whose fsyncs complete late and whose un-flushed tails are torn by
/// crashes, crashes and restarts from durable state, a clock per server, and clients writing to whoever leads
/// (directly or forwarded) and issuing syncs. After the chaos phase the network heals and every server restarts;
/// then a write must commit and every server must catch up within a bound (liveness). Safety is checked after
/// every event by <see cref="HistoryChecker"/> and <see cref="SimCluster"/>.
/// </summary>
internal sealed class Simulator
{
    private const int LivenessTicks = 150;
    private const int ConvergenceTicks = 80;

    private readonly long _seed;
    private readonly SimConfig _config;
    private readonly Random _rng;
    private readonly SimCluster _cluster;
    private readonly PriorityQueue<Event, (long Time, long Seq)> _queue = new();
    private readonly Dictionary<long, (int AckNode, long SubmittedAt)> _pendingWrites = [];
    private readonly Dictionary<long, (int Node, long Watermark)> _syncs = [];
    private readonly List<string>? _trace;
    private readonly int[] _group;
    private readonly Dictionary<string, long> _messages = [];
    private long _now;
    private long _seq;
    private long _events;
    private long _nextWriteId = 1;
    private long _nextSyncId = 1;
    private bool _chaos = true;
    private long _healAt;
    private long _firstAckAfterHeal = -1;
    private int _crashes;

    public Simulator(long seed, bool trace = false)
    {
        _seed = seed;
        _config = SimConfig.FromSeed(seed);
        _rng = new Random(unchecked((int)seed * 31 + 7));
        _trace = trace ? [] : null;
        _cluster = new SimCluster(_config.Voters, _config.Observers, trace ? line => _trace!.Add($"t={_now} {line}") : null)
        {
            OnSend = Send,
            OnDiskPending = ScheduleFlush,
            OnSnapshotRequested = node => Schedule(_rng.Next(1, 10), new SnapshotEvent(node.Id, node.Incarnation)),
            OnApplied = Applied,
            OnSync = SyncDone,
        };
        _group = new int[_cluster.Nodes.Count + 1];
    }

    public SimConfig Config => _config;

    public IReadOnlyList<string> TraceLines => _trace ?? [];

    /// <summary>The command that replays this schedule with a trace.</summary>
    public static string ReplayCommand(long seed) =>
        $"SIM_SEED={seed} dotnet test tests/Orleans.Coordination.Consensus.Tests --filter FullyQualifiedName~Replay";

    /// <summary>Runs the schedule; throws <see cref="SimulationFailure"/> (with seed and replay command) when an invariant breaks.</summary>
    public SimReport Run()
    {
        try
        {
            return RunCore();
        }
        catch (Exception e)
        {
            var tail = _trace is null ? "" : "\nlast events:\n" + string.Join("\n", _trace.TakeLast(40));
            throw new SimulationFailure(
                $"seed {_seed} failed at t={_now} ({_config}): {e.Message}\nreplay: {ReplayCommand(_seed)}\nservers:\n{DescribeNodes()}{tail}\n{(e is SimulationFailure ? "" : e.StackTrace)}");
        }
    }

    private SimReport RunCore()
    {
        foreach (var node in _cluster.Nodes)
        {
            _cluster.Start(node);
            ScheduleTicks(node, _rng.Next(SimConfig.TickLength));
        }

        _healAt = _config.ChaosTicks * SimConfig.TickLength;
        Schedule(SimConfig.TickLength, new ChaosEvent());
        Schedule(_config.WriteInterval, new ClientEvent());
        Schedule(_healAt, new HealEvent());
        var deadline = _healAt + ((LivenessTicks + ConvergenceTicks) * SimConfig.TickLength);
        while (_queue.TryDequeue(out var ev, out var key))
        {
            _now = key.Time;
            _events++;
            if (_now > deadline)
            {
                throw new SimulationFailure(_firstAckAfterHeal < 0
                    ? $"liveness: no write committed within {LivenessTicks + ConvergenceTicks} ticks after the network healed and every server restarted"
                    : $"liveness: servers did not catch up to {Zxid.Format(_firstAckAfterHeal)} within {ConvergenceTicks} ticks");
            }

            if (!_chaos && _firstAckAfterHeal >= 0 && _cluster.Nodes.All(n => n.Up && n.AppliedZxid >= Math.Max(_firstAckAfterHeal, _cluster.Checker.MaxAckedZxid)))
            {
                break;
            }

            if (!_chaos && _firstAckAfterHeal < 0 && _now > _healAt + (LivenessTicks * SimConfig.TickLength))
            {
                throw new SimulationFailure($"liveness: no write committed within {LivenessTicks} ticks after the network healed and every server restarted");
            }

            Handle(ev);
        }

        FinalChecks();
        return new SimReport(_seed, _config, _events, _cluster.Checker.Global.Count, _cluster.Checker.Acked.Count, _cluster.Checker.EpochsSeen, _crashes, _now / SimConfig.TickLength, _messages);
    }

    private void Handle(Event ev)
    {
        switch (ev)
        {
            case MessageEvent m:
                var to = _cluster[m.To];
                if (to.Up && Connected(m.From, m.To))
                {
                    _cluster.Deliver(m.From, to, MessageCodec.Decode(m.Bytes));
                }

                break;
            case TickEvent t:
                var node = _cluster[t.Node];
                if (node.Up && node.Incarnation == t.Incarnation)
                {
                    _cluster.Tick(node);
                    Schedule(SimConfig.TickLength, t);
                }

                break;
            case FlushEvent f:
                Flush(_cluster[f.Node], f.Incarnation);
                break;
            case CallbackEvent c:
                var target = _cluster[c.Node];
                if (target.Up && target.Incarnation == c.Incarnation)
                {
                    _cluster.Callback(target, c.Callback);
                }

                break;
            case SnapshotEvent s:
                var leader = _cluster[s.Node];
                if (leader.Up && leader.Incarnation == s.Incarnation)
                {
                    _cluster.SnapshotReady(leader, fromDisk: _rng.Next(2) == 0);
                }

                break;
            case ChaosEvent:
                Chaos();
                break;
            case ClientEvent:
                Client();
                break;
            case HealEvent:
                Heal();
                break;
        }
    }

    private void Send(int from, int to, ReplicaMessage message)
    {
        // Every message crosses the wire encoding, so the codec is exercised by every schedule.
        var bytes = MessageCodec.Encode(message);
        var kind = message.GetType().Name;
        _messages[kind] = _messages.GetValueOrDefault(kind) + 1;
        if (!Connected(from, to) || (_chaos && _rng.NextDouble() < _config.DropRate))
        {
            return;
        }

        Schedule(Delay(), new MessageEvent(from, to, bytes));
        if (_chaos && _rng.NextDouble() < _config.DuplicateRate)
        {
            Schedule(Delay(), new MessageEvent(from, to, bytes));
        }
    }

    private int Delay()
    {
        var delay = _rng.Next(1, _config.MaxDelay + 1);
        return _chaos && _rng.NextDouble() < 0.01 ? delay + (5 * SimConfig.TickLength) : delay;
    }

    private bool Connected(int a, int b) => _group[a] == _group[b];

    private void ScheduleTicks(SimNode node, int offset) => Schedule(offset + 1, new TickEvent(node.Id, node.Incarnation));

    private void ScheduleFlush(SimNode node)
    {
        if (!node.FlushScheduled)
        {
            node.FlushScheduled = true;
            Schedule(_rng.Next(1, _config.MaxDiskDelay + 1), new FlushEvent(node.Id, node.Incarnation));
        }
    }

    private void Flush(SimNode node, int incarnation)
    {
        if (!node.Up || node.Incarnation != incarnation)
        {
            return;
        }

        node.FlushScheduled = false;
        if (!node.Disk.HasPending)
        {
            return;
        }

        var hadRewrite = node.Disk.Pending.Any(op => op is TruncateOp or InstallOp);
        // One file at a time: the log, the epoch file and the snapshot store become durable independently.
        var files = node.Disk.Pending.Select(SimDisk.FileOf).Distinct().ToList();
        var callbacks = _cluster.Flush(node, _rng.Next(1, node.Disk.Pending.Count + 1), files[_rng.Next(files.Count)]);
        if (hadRewrite)
        {
            _cluster.Checker.CheckAckedDurable(_cluster.Nodes);
        }

        // The fsync completion reaches the apply loop a little later, in order.
        var delay = _rng.Next(0, 3);
        foreach (var callback in callbacks)
        {
            Schedule(delay, new CallbackEvent(node.Id, node.Incarnation, callback));
        }

        if (node.Disk.HasPending)
        {
            ScheduleFlush(node);
        }
    }

    private void Chaos()
    {
        if (!_chaos)
        {
            return;
        }

        Schedule(SimConfig.TickLength, new ChaosEvent());
        foreach (var node in _cluster.Nodes)
        {
            if (node.Up && _rng.NextDouble() < _config.CrashRate)
            {
                _crashes++;
                _cluster.Crash(node, _rng);
                _cluster.Checker.CheckAckedDurable(_cluster.Nodes);

                // Most peers see the crashed server's connection close (the shell's PeerDisconnected).
                foreach (var peer in _cluster.Nodes)
                {
                    if (peer.Up && peer != node && _rng.NextDouble() < 0.7)
                    {
                        _cluster.Input(peer, c => c.PeerDisconnected(node.Id));
                    }
                }
            }
            else if (node.Up && _rng.NextDouble() < 0.02)
            {
                // A false alarm: a connection that broke while its peer lives on.
                var other = _cluster.Nodes[_rng.Next(_cluster.Nodes.Count)];
                if (other != node)
                {
                    _cluster.Input(node, c => c.PeerDisconnected(other.Id));
                }
            }
            else if (!node.Up && _rng.NextDouble() < 0.15)
            {
                Restart(node);
            }
            else if (node.Up && _rng.NextDouble() < 0.03)
            {
                _cluster.LocalSnapshot(node, compact: _rng.NextDouble() < 0.7);
            }
        }

        if (_rng.NextDouble() < _config.PartitionRate)
        {
            var groups = _rng.Next(2, 4);
            for (var i = 1; i < _group.Length; i++)
            {
                _group[i] = _rng.Next(groups);
            }

            _cluster.Trace(_cluster.Nodes[0], $"partition {string.Join(" ", _group.Skip(1))}");
        }
        else if (_rng.NextDouble() < 0.1)
        {
            Array.Clear(_group);
        }
    }

    private void Restart(SimNode node)
    {
        _cluster.Start(node);
        ScheduleTicks(node, _rng.Next(SimConfig.TickLength));
    }

    private void Heal()
    {
        _chaos = false;
        Array.Clear(_group);
        _cluster.Trace(_cluster.Nodes[0], "heal: network whole, every server up, no more faults");
        foreach (var node in _cluster.Nodes)
        {
            if (!node.Up)
            {
                Restart(node);
            }
        }
    }

    private void Client()
    {
        if (!_chaos && _firstAckAfterHeal >= 0)
        {
            return; // liveness shown; let the servers converge
        }

        Schedule(_rng.Next(1, _config.WriteInterval + 1), new ClientEvent());
        var up = _cluster.Nodes.Where(n => n.Up && n.Core!.IsServing).ToList();
        if (up.Count == 0)
        {
            return;
        }

        var node = up[_rng.Next(up.Count)];
        var core = node.Core!;
        if (_rng.NextDouble() < 0.15)
        {
            var syncId = _nextSyncId++;
            _syncs[syncId] = (node.Id, _cluster.Checker.MaxAckedZxid);
            _cluster.Input(node, c => c.RequestSync(syncId));
            return;
        }

        var id = _nextWriteId++;
        if (core.Role == ReplicaRole.Leading)
        {
            if (_cluster.Propose(node, id).Accepted)
            {
                _pendingWrites[id] = (node.Id, _now);
            }
        }
        else
        {
            var forwarded = false;
            _cluster.Input(node, c => forwarded = c.Forward(id, SimCluster.Payload(id)));
            if (forwarded)
            {
                _pendingWrites[id] = (node.Id, _now);
            }
        }
    }

    private void Applied(SimNode node, long id, long zxid)
    {
        if (_pendingWrites.TryGetValue(id, out var pending) && pending.AckNode == node.Id)
        {
            _pendingWrites.Remove(id);
            _cluster.Checker.Acknowledged(id, zxid);
            if (!_chaos && pending.SubmittedAt >= _healAt && _firstAckAfterHeal < 0)
            {
                _firstAckAfterHeal = zxid;
            }
        }
    }

    private void SyncDone(SimNode node, ReplicaOutput output)
    {
        if (output is not SyncCompleted done || !_syncs.Remove(done.SyncId, out var sync))
        {
            return;
        }

        // Linearizable sync: every write acknowledged before the sync began is applied here when it completes.
        if (node.AppliedZxid < sync.Watermark || done.Zxid < sync.Watermark)
        {
            throw new SimulationFailure($"stale sync {done.SyncId} on #{node.Id}: completed at {Zxid.Format(done.Zxid)}, applied {Zxid.Format(node.AppliedZxid)}, but {Zxid.Format(sync.Watermark)} was acknowledged before it began");
        }
    }

    private void FinalChecks()
    {
        var checker = _cluster.Checker;
        checker.CheckAckedDurable(_cluster.Nodes);
        foreach (var node in _cluster.Nodes)
        {
            // Each disk must load: a gap in a log would throw here.
            _ = new ReplicaCore(_cluster.Options(node.Id), node.Disk.LoadState(node.Incarnation + 1));
            if (node.AppliedZxid < checker.MaxAckedZxid)
            {
                throw new SimulationFailure($"#{node.Id} never applied acknowledged writes up to {Zxid.Format(checker.MaxAckedZxid)} (applied {Zxid.Format(node.AppliedZxid)})");
            }
        }
    }

    private string DescribeNodes() =>
        string.Join("\n", _cluster.Nodes.Select(n => n.Core is { } c
            ? $"  {c} disk: log {n.Disk.Log.Count} to {Zxid.Format(n.Disk.Log.Count > 0 ? n.Disk.Log[^1].Zxid : 0)}, snapshot {Zxid.Format(n.Disk.SnapshotZxid)}, pending {n.Disk.Pending.Count}"
            : $"  #{n.Id} down"));

    private void Schedule(long delay, Event ev) => _queue.Enqueue(ev, (_now + delay, _seq++));

    private abstract record Event;

    private sealed record MessageEvent(int From, int To, byte[] Bytes) : Event;

    private sealed record TickEvent(int Node, int Incarnation) : Event;

    private sealed record FlushEvent(int Node, int Incarnation) : Event;

    private sealed record CallbackEvent(int Node, int Incarnation, DiskCallback Callback) : Event;

    private sealed record SnapshotEvent(int Node, int Incarnation) : Event;

    private sealed record ChaosEvent : Event;

    private sealed record ClientEvent : Event;

    private sealed record HealEvent : Event;
}
