using System.Buffers.Binary;

namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>A persistence request the shell has not yet made durable.</summary>
internal abstract record DiskOp;

internal sealed record AppendOp(List<LogEntry> Entries) : DiskOp;

internal sealed record TruncateOp(long AfterZxid) : DiskOp;

internal sealed record EpochOp(EpochState Epochs) : DiskOp;

internal sealed record InstallOp(long Zxid, byte[] Data) : DiskOp;

/// <summary>What a completed flush must report back to the core.</summary>
internal readonly record struct DiskCallback(DiskCallbackKind Kind, long Zxid, EpochState Epochs);

internal enum DiskCallbackKind
{
    Persisted,
    EpochPersisted,
    SnapshotInstalled,
}

/// <summary>
/// A simulated disk with three independent files: the log (appends and truncations), the epoch file and the
/// snapshot store. Requests queue up and become durable when flushed, several at a time (group commit), in order
/// within one file but in no particular order across files, so the core must never rely on one file being durable
/// before another without waiting for the report. A crash keeps a random prefix of each file's queue (the part the
/// OS happened to write: a torn tail) and loses the rest. Appends must be in ascending zxid order, as FileTxnLog
/// requires.
/// </summary>
internal sealed class SimDisk
{
    public EpochState Epochs { get; private set; } = new(0, 0, -1);

    /// <summary>Zxid of the newest durable snapshot (the applied state it holds is <see cref="SnapshotState"/>).</summary>
    public long SnapshotZxid { get; private set; }

    public IReadOnlyList<(long Zxid, long Id)> SnapshotState { get; private set; } = [];

    public List<LogEntry> Log { get; } = [];

    public List<DiskOp> Pending { get; } = [];

    public bool HasPending => Pending.Count > 0;

    public void Enqueue(DiskOp op) => Pending.Add(op);

    /// <summary>Which file a request goes to: 0 the log, 1 the epoch file, 2 the snapshot store.</summary>
    public static int FileOf(DiskOp op) => op switch
    {
        AppendOp or TruncateOp => 0,
        EpochOp => 1,
        _ => 2,
    };

    /// <summary>
    /// Makes the first <paramref name="count"/> queued requests of <paramref name="file"/> (all files when null)
    /// durable and returns what to report.
    /// </summary>
    public List<DiskCallback> Flush(int count, int? file = null)
    {
        var callbacks = new List<DiskCallback>();
        long persisted = -1;
        var index = 0;
        for (var flushed = 0; flushed < count && index < Pending.Count;)
        {
            var op = Pending[index];
            if (file is { } f && FileOf(op) != f)
            {
                index++;
                continue;
            }

            Pending.RemoveAt(index);
            flushed++;
            Apply(op, op is AppendOp all ? all.Entries.Count : 0);
            switch (op)
            {
                case AppendOp a:
                    persisted = a.Entries[^1].Zxid;
                    break;
                case EpochOp e:
                    AddPersisted(callbacks, ref persisted);
                    callbacks.Add(new DiskCallback(DiskCallbackKind.EpochPersisted, 0, e.Epochs));
                    break;
                case InstallOp s:
                    AddPersisted(callbacks, ref persisted);
                    callbacks.Add(new DiskCallback(DiskCallbackKind.SnapshotInstalled, s.Zxid, default));
                    break;
            }
        }

        AddPersisted(callbacks, ref persisted);
        return callbacks;
    }

    /// <summary>Crash: for each file, a prefix of its queue (possibly cut inside an append) reached the disk, the rest is lost.</summary>
    public void Crash(Random rng)
    {
        for (var file = 0; file < 3; file++)
        {
            var queue = Pending.Where(op => FileOf(op) == file).ToList();
            var keep = rng.Next(queue.Count + 1);
            for (var i = 0; i < keep; i++)
            {
                var op = queue[i];
                var entries = op is AppendOp a ? (i == keep - 1 ? rng.Next(1, a.Entries.Count + 1) : a.Entries.Count) : 0;
                Apply(op, entries);
            }
        }

        Pending.Clear();
    }

    /// <summary>Test setup: what this disk holds before the server first starts.</summary>
    public void Preload(EpochState epochs, IEnumerable<LogEntry> log)
    {
        Epochs = epochs;
        Log.Clear();
        Log.AddRange(log);
    }

    /// <summary>The shell's own periodic snapshot of its applied state (written atomically).</summary>
    public void SaveLocalSnapshot(IReadOnlyList<(long Zxid, long Id)> applied)
    {
        var zxid = applied.Count > 0 ? applied[^1].Zxid : 0;
        if (zxid > SnapshotZxid)
        {
            SnapshotZxid = zxid;
            SnapshotState = [.. applied];
        }
    }

    /// <summary>What the shell loads on restart.</summary>
    public ReplicaDurableState LoadState(long incarnation)
    {
        var log = Log.Where(e => e.Zxid > SnapshotZxid).ToList();
        return new ReplicaDurableState
        {
            Epochs = Epochs,
            SnapshotZxid = SnapshotZxid,
            Log = log,
            CommittedZxid = SnapshotZxid,
            Incarnation = incarnation,
        };
    }

    /// <summary>Whether <paramref name="zxid"/> is durable here (in the log or covered by the snapshot).</summary>
    public bool HasDurable(long zxid)
    {
        if (zxid <= SnapshotZxid)
        {
            return true;
        }

        int lo = 0, hi = Log.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Log[mid].Zxid == zxid)
            {
                return true;
            }

            if (Log[mid].Zxid < zxid)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return false;
    }

    public static byte[] EncodeState(IReadOnlyList<(long Zxid, long Id)> state)
    {
        var bytes = new byte[4 + (state.Count * 16)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, state.Count);
        for (var i = 0; i < state.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4 + (i * 16)), state[i].Zxid);
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(12 + (i * 16)), state[i].Id);
        }

        return bytes;
    }

    public static List<(long Zxid, long Id)> DecodeState(byte[] bytes)
    {
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes);
        var state = new List<(long Zxid, long Id)>(count);
        for (var i = 0; i < count; i++)
        {
            state.Add((BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(4 + (i * 16))), BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(12 + (i * 16)))));
        }

        return state;
    }

    private static void AddPersisted(List<DiskCallback> callbacks, ref long persisted)
    {
        if (persisted >= 0)
        {
            callbacks.Add(new DiskCallback(DiskCallbackKind.Persisted, persisted, default));
            persisted = -1;
        }
    }

    private void Apply(DiskOp op, int appendCount)
    {
        switch (op)
        {
            case AppendOp a:
                for (var i = 0; i < appendCount; i++)
                {
                    var entry = a.Entries[i];
                    if (Log.Count > 0 && entry.Zxid <= Log[^1].Zxid)
                    {
                        throw new SimulationFailure($"log append out of order: {Zxid.Format(entry.Zxid)} after {Zxid.Format(Log[^1].Zxid)}");
                    }

                    Log.Add(entry);
                }

                break;
            case TruncateOp t:
                Log.RemoveAll(e => e.Zxid > t.AfterZxid);
                break;
            case EpochOp e:
                Epochs = e.Epochs;
                break;
            case InstallOp s:
                if (s.Zxid > SnapshotZxid)
                {
                    SnapshotZxid = s.Zxid;
                    SnapshotState = DecodeState(s.Data);
                }

                break;
        }
    }
}
