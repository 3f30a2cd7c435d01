namespace Orleans.Coordination.Consensus;

/// <summary>The in-memory view of the log: records after the snapshot point, durability, commit and delivery.</summary>
public sealed partial class ReplicaCore
{
    private readonly List<LogEntry> _log = [];

    /// <summary>Snapshot point: every zxid up to here is summarised by a durable snapshot of the shell.</summary>
    private long _base;

    /// <summary>Every record in <see cref="_log"/> up to here is durable.</summary>
    private long _durable;

    /// <summary>Guard against late durability reports about truncated records: reports in (low, high] mean "up to low".</summary>
    private long _fenceLow;
    private long _fenceHigh;

    /// <summary>An <see cref="InstallSnapshot"/> is not yet durable; appends are held back until it is.</summary>
    private bool _installPending;
    private long _installZxid;
    private List<LogEntry>? _heldAppends;

    private long _committed;
    private long _delivered;

    private long LastLogged => _log.Count > 0 ? _log[^1].Zxid : _base;

    /// <summary>Everything in the log up to here, and the snapshot it continues, is durable.</summary>
    private long DurablePoint => _installPending ? 0 : Math.Max(_durable, _base);

    private void LoadLog(ReplicaDurableState state)
    {
        if (state.SnapshotZxid < 0)
        {
            throw new ArgumentException($"SnapshotZxid: {state.SnapshotZxid} is negative");
        }

        var previous = state.SnapshotZxid;
        foreach (var entry in state.Log)
        {
            if (entry.Payload is null)
            {
                throw new ArgumentException($"Log: record {Zxid.Format(entry.Zxid)} has no payload");
            }

            // A gap would let this server claim a history it does not have (ZOOKEEPER-2678/3023/4925 family).
            if (!Zxid.IsSuccessor(previous, entry.Zxid))
            {
                throw new ArgumentException($"Log: record {Zxid.Format(entry.Zxid)} cannot follow {Zxid.Format(previous)} (gap or disorder)");
            }

            previous = entry.Zxid;
        }

        if (state.CommittedZxid < state.SnapshotZxid)
        {
            throw new ArgumentException($"CommittedZxid: {Zxid.Format(state.CommittedZxid)} is before the snapshot {Zxid.Format(state.SnapshotZxid)}");
        }

        if (state.Epochs.CurrentEpoch > state.Epochs.AcceptedEpoch)
        {
            throw new ArgumentException($"Epochs: currentEpoch {state.Epochs.CurrentEpoch} is greater than acceptedEpoch {state.Epochs.AcceptedEpoch}");
        }

        _base = state.SnapshotZxid;
        _log.AddRange(state.Log);
        _durable = LastLogged;
        // A commit point beyond the durable log (its tail was lost) only covers what the log still has.
        _committed = Math.Min(state.CommittedZxid, LastLogged);
        _delivered = state.SnapshotZxid;
    }

    /// <summary>Index of the first record with a zxid greater than <paramref name="zxid"/>.</summary>
    private int FirstIndexAfter(long zxid)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_log[mid].Zxid <= zxid)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Whether the log continues from <paramref name="zxid"/>: it is the snapshot point or a record.</summary>
    private bool HasZxid(long zxid)
    {
        if (zxid == _base)
        {
            return true;
        }

        var i = FirstIndexAfter(zxid) - 1;
        return i >= 0 && _log[i].Zxid == zxid;
    }

    /// <summary>Records after <paramref name="zxid"/> up to <paramref name="upTo"/>, copied.</summary>
    private List<LogEntry> RecordsAfter(long zxid, long upTo = long.MaxValue)
    {
        var records = new List<LogEntry>();
        for (var i = FirstIndexAfter(zxid); i < _log.Count && _log[i].Zxid <= upTo; i++)
        {
            records.Add(_log[i]);
        }

        return records;
    }

    private void AppendEntry(LogEntry entry)
    {
        _log.Add(entry);
        if (_installPending)
        {
            (_heldAppends ??= []).Add(entry);
        }
        else
        {
            EmitAppend(entry);
        }
    }

    private void EmitAppend(LogEntry entry)
    {
        // Consecutive appends become one output so the shell can write them in one go (group commit).
        if (_outputs.Count > 0 && _outputs[^1] is AppendToLog { Entries: List<LogEntry> batch })
        {
            batch.Add(entry);
        }
        else
        {
            _outputs.Add(new AppendToLog(new List<LogEntry> { entry }));
        }
    }

    /// <summary>
    /// Drops every record after <paramref name="zxid"/>. Refuses (returns false) to drop a committed record: that
    /// would be the data loss TRUNC bugs cause.
    /// </summary>
    private bool TruncateAfter(long zxid)
    {
        var last = LastLogged;
        if (zxid >= last)
        {
            return true;
        }

        if (zxid < Math.Min(_committed, last) || zxid < _delivered)
        {
            Violation($"truncation after {Zxid.Format(zxid)} would drop committed records (committed {Zxid.Format(_committed)}, applied {Zxid.Format(_delivered)})");
            return false;
        }

        if (_fenceHigh == 0)
        {
            _fenceLow = zxid;
            _fenceHigh = last;
        }
        else
        {
            _fenceLow = Math.Min(_fenceLow, zxid);
            _fenceHigh = Math.Max(_fenceHigh, last);
        }

        var from = FirstIndexAfter(zxid);
        _log.RemoveRange(from, _log.Count - from);
        _heldAppends?.RemoveAll(e => e.Zxid > zxid);
        _durable = Math.Min(_durable, zxid);
        _outputs.Add(new TruncateLog(zxid));
        return true;
    }

    /// <summary>Hands every committed record not yet delivered to the shell, in zxid order.</summary>
    private void DeliverCommitted()
    {
        if (_committed <= _delivered || LastLogged <= _delivered)
        {
            return;
        }

        for (var i = FirstIndexAfter(_delivered); i < _log.Count && _log[i].Zxid <= _committed; i++)
        {
            _outputs.Add(new ApplyCommitted(_log[i]));
            _delivered = _log[i].Zxid;
        }

        TrimCommittedLog();
        CompleteFollowerSyncs();
    }

    /// <summary>
    /// Forgets delivered records beyond the newest <see cref="ReplicaOptions.CommitLogCount"/>, once twice that many
    /// are held (so the list shifts rarely). Not while a snapshot for a follower is being prepared: the records after
    /// it must still be here when it is ready.
    /// </summary>
    private void TrimCommittedLog()
    {
        var keep = _options.CommitLogCount;
        if (_log.Count > 2 * keep && !_snapshotRequested)
        {
            CompactLog(_log[_log.Count - keep - 1].Zxid);
        }
    }

    private void AdvanceCommit(long zxid)
    {
        // The commit point may have arrived before the records it covers (reordering): deliver what is here now.
        _committed = Math.Max(_committed, zxid);
        DeliverCommitted();
    }

    private void CompactLog(long zxid)
    {
        zxid = Math.Min(zxid, _delivered);
        if (zxid <= _base || _installPending || !HasZxid(zxid))
        {
            return;
        }

        _log.RemoveRange(0, FirstIndexAfter(zxid));
        _base = zxid;
    }
}
