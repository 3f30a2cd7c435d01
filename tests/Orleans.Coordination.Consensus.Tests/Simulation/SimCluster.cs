using System.Buffers.Binary;
using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>
/// N simulated servers, each a <see cref="ReplicaCore"/> with a <see cref="SimDisk"/> and an applied sequence,
/// plus the shell logic that carries out the core's outputs. Scheduling (which message, tick or flush happens next)
/// is left to the caller: the seeded <see cref="Simulator"/> or a scripted test.
/// </summary>
internal sealed class SimCluster
{
    private readonly Action<string>? _trace;

    public SimCluster(int voters, int observers, Action<string>? trace = null, Func<int, ReplicaOptions>? options = null, int commitLogCount = 5_000)
    {
        _trace = trace;
        var members = Enumerable.Range(1, voters).Select(i => new EnsembleMember(i, MemberRole.Voter))
            .Concat(Enumerable.Range(voters + 1, observers).Select(i => new EnsembleMember(i, MemberRole.Observer)))
            .ToList();
        Members = members;
        Options = options ?? (id => new ReplicaOptions { ServerId = id, Members = members, MaxRecordsPerMessage = 8, CommitLogCount = commitLogCount });
        Nodes = [.. members.Select(m => new SimNode(m.Id, m.Role == MemberRole.Observer))];
        Quorum = (voters / 2) + 1;
        Checker = new HistoryChecker(Quorum);
    }

    public IReadOnlyList<EnsembleMember> Members { get; }

    public Func<int, ReplicaOptions> Options { get; }

    public List<SimNode> Nodes { get; }

    public int Quorum { get; }

    public HistoryChecker Checker { get; }

    /// <summary>A message left a server (from, to, message). The default drops it.</summary>
    public Action<int, int, ReplicaMessage> OnSend { get; set; } = (_, _, _) => { };

    /// <summary>A server's disk has queued requests.</summary>
    public Action<SimNode> OnDiskPending { get; set; } = _ => { };

    /// <summary>A leader asked its shell for a snapshot.</summary>
    public Action<SimNode> OnSnapshotRequested { get; set; } = _ => { };

    /// <summary>A server applied write (id, zxid).</summary>
    public Action<SimNode, long, long> OnApplied { get; set; } = (_, _, _) => { };

    /// <summary>A sync finished (SyncCompleted or SyncFailed).</summary>
    public Action<SimNode, ReplicaOutput> OnSync { get; set; } = (_, _) => { };

    /// <summary>Every output of every server, for scripted tests that assert on them.</summary>
    public List<(int Node, ReplicaOutput Output)> OutputLog { get; } = [];

    public bool RecordOutputs { get; set; }

    public SimNode this[int id] => Nodes[id - 1];

    public static byte[] Payload(long id)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, id);
        return bytes;
    }

    public static long PayloadId(byte[] payload) => BinaryPrimitives.ReadInt64BigEndian(payload);

    public void Start(SimNode node)
    {
        node.Incarnation++;
        node.Applied = [.. node.Disk.SnapshotState];
        node.Core = new ReplicaCore(Options(node.Id), node.Disk.LoadState(node.Incarnation));
        Trace(node, $"start (incarnation {node.Incarnation}, snapshot {Zxid.Format(node.Disk.SnapshotZxid)}, log {node.Disk.Log.Count})");
        Input(node, c => c.Start());
    }

    /// <summary>Crash: the core's memory is gone, the disk keeps a torn prefix of what was queued.</summary>
    public void Crash(SimNode node, Random rng)
    {
        node.Disk.Crash(rng);
        node.Core = null;
        node.Applied = [];
        node.Incarnation++;
        node.FlushScheduled = false;
        Trace(node, "crash");
    }

    /// <summary>Runs one input on a server's core, then carries out every output.</summary>
    public void Input(SimNode node, Action<ReplicaCore> input)
    {
        var core = node.Core ?? throw new InvalidOperationException($"#{node.Id} is down");
        input(core);
        Process(node, core);
    }

    public void Deliver(int from, SimNode to, ReplicaMessage message)
    {
        if (_trace is not null)
        {
            Trace(to, $"<- #{from} {Describe(message)}");
        }

        Input(to, c => c.Receive(from, message));
    }

    public void Tick(SimNode node) => Input(node, c => c.Tick());

    public List<DiskCallback> Flush(SimNode node, int count, int? file = null)
    {
        var callbacks = node.Disk.Flush(count, file);
        if (_trace is not null)
        {
            Trace(node, $"flush {count}: {string.Join(", ", callbacks.Select(c => c.Kind == DiskCallbackKind.EpochPersisted ? $"epochs {c.Epochs.CurrentEpoch}/{c.Epochs.AcceptedEpoch}" : $"{c.Kind} {Zxid.Format(c.Zxid)}"))}");
        }

        return callbacks;
    }

    public void Callback(SimNode node, DiskCallback callback)
    {
        switch (callback.Kind)
        {
            case DiskCallbackKind.Persisted:
                Input(node, c => c.Persisted(callback.Zxid));
                break;
            case DiskCallbackKind.EpochPersisted:
                Input(node, c => c.EpochPersisted(callback.Epochs));
                break;
            default:
                Input(node, c => c.SnapshotInstalled(callback.Zxid));
                break;
        }
    }

    /// <summary>Flushes everything queued on <paramref name="node"/>'s disk and reports it at once.</summary>
    public void FlushAll(SimNode node)
    {
        while (node.Up && node.Disk.HasPending)
        {
            foreach (var callback in Flush(node, int.MaxValue))
            {
                Callback(node, callback);
            }
        }
    }

    public ProposeResult Propose(SimNode node, long id)
    {
        var result = default(ProposeResult);
        Input(node, c => result = c.Propose(Payload(id)));
        if (result.Accepted)
        {
            Checker.Stamped(node.Id, result.Zxid, id);
            Trace(node, $"propose w{id} -> {Zxid.Format(result.Zxid)}");
        }

        return result;
    }

    /// <summary>
    /// Answers the leader's snapshot request with its applied state, or (<paramref name="fromDisk"/>) with its newest
    /// durable snapshot, which is older: a shell may serve the file it already has.
    /// </summary>
    public void SnapshotReady(SimNode node, bool fromDisk = false)
    {
        if (fromDisk && node.Disk.SnapshotZxid >= node.Core!.SnapshotZxid && node.Disk.SnapshotZxid > 0)
        {
            Input(node, c => c.SnapshotReady(node.Disk.SnapshotZxid, SimDisk.EncodeState(node.Disk.SnapshotState)));
        }
        else
        {
            Input(node, c => c.SnapshotReady(node.AppliedZxid, SimDisk.EncodeState(node.Applied)));
        }
    }

    /// <summary>The shell's own snapshot, optionally followed by compaction of the core's retained log.</summary>
    public void LocalSnapshot(SimNode node, bool compact)
    {
        node.Disk.SaveLocalSnapshot(node.Applied);
        if (compact)
        {
            Input(node, c => c.Compact(node.Disk.SnapshotZxid));
        }
    }

    public void Trace(SimNode node, string text) => _trace?.Invoke($"#{node.Id} {text}");

    public static string Describe(ReplicaMessage message) => message switch
    {
        Proposal m => $"Proposal(e{m.Epoch}, prev {Zxid.Format(m.PrevZxid)}, [{string.Join(" ", m.Records.Select(r => Zxid.Format(r.Zxid)))}], commit {Zxid.Format(m.CommitZxid)})",
        Inform m => $"Inform(e{m.Epoch}, prev {Zxid.Format(m.PrevZxid)}, [{string.Join(" ", m.Records.Select(r => Zxid.Format(r.Zxid)))}], commit {Zxid.Format(m.CommitZxid)})",
        Diff m => $"Diff(e{m.Epoch}, s{m.Session:x}, from {Zxid.Format(m.FromZxid)}, {m.Records.Count} records)",
        Trunc m => $"Trunc(e{m.Epoch}, s{m.Session:x}, after {Zxid.Format(m.TruncateAfterZxid)}, {m.Records.Count} records)",
        Snap m => $"Snap(e{m.Epoch}, s{m.Session:x}, at {Zxid.Format(m.SnapshotZxid)}, {m.Records.Count} records)",
        Ack m => $"Ack(e{m.Epoch}, {Zxid.Format(m.Zxid)})",
        Commit m => $"Commit(e{m.Epoch}, {Zxid.Format(m.Zxid)})",
        Nack m => $"Nack(e{m.Epoch}, {Zxid.Format(m.LastZxid)})",
        _ => message.ToString(),
    };

    private void Process(SimNode node, ReplicaCore core)
    {
        foreach (var output in core.TakeOutputs())
        {
            if (RecordOutputs)
            {
                OutputLog.Add((node.Id, output));
            }

            switch (output)
            {
                case SendMessage m:
                    OnSend(node.Id, m.To, m.Message);
                    break;
                case AppendToLog m:
                    node.Disk.Enqueue(new AppendOp([.. m.Entries]));
                    OnDiskPending(node);
                    break;
                case TruncateLog m:
                    Trace(node, $"truncate after {Zxid.Format(m.AfterZxid)}");
                    node.Disk.Enqueue(new TruncateOp(m.AfterZxid));
                    OnDiskPending(node);
                    break;
                case PersistEpochs m:
                    node.Disk.Enqueue(new EpochOp(m.Epochs));
                    OnDiskPending(node);
                    break;
                case InstallSnapshot m:
                    var state = SimDisk.DecodeState(m.Data);
                    Checker.SnapshotInstalled(node, state);
                    node.Applied = state;
                    Trace(node, $"install snapshot {Zxid.Format(m.Zxid)} ({state.Count} txns)");
                    node.Disk.Enqueue(new InstallOp(m.Zxid, m.Data));
                    OnDiskPending(node);
                    break;
                case SnapshotRequested:
                    OnSnapshotRequested(node);
                    break;
                case ApplyCommitted m:
                    var entry = (m.Entry.Zxid, PayloadId(m.Entry.Payload));
                    node.Applied.Add(entry);
                    Checker.Applied(node, node.Applied.Count - 1, entry);
                    OnApplied(node, entry.Item2, entry.Zxid);
                    break;
                case StatusChanged m:
                    Trace(node, $"status {m.Status}");
                    Checker.Status(node, m.Status);
                    break;
                case ForwardedRequest m:
                    Propose(node, PayloadId(m.Payload));
                    break;
                case SyncCompleted or SyncFailed:
                    OnSync(node, output);
                    break;
            }
        }

        if (core.ProtocolViolations != 0)
        {
            throw new SimulationFailure($"protocol violation: {core.LastViolation}");
        }

        if (node.Core == core && node.AppliedZxid != core.AppliedZxid)
        {
            throw new SimulationFailure($"#{node.Id} applied {Zxid.Format(node.AppliedZxid)} but its core says {Zxid.Format(core.AppliedZxid)}");
        }
    }
}
