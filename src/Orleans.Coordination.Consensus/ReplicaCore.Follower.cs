using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

/// <summary>Follower and observer: discovery, synchronisation and broadcast as seen from the learner.</summary>
public sealed partial class ReplicaCore
{
    private FollowerPhase _fphase;
    private long _attempt;
    private long _session;
    private long _leaderLastHeard;
    private long _phaseDeadline;
    private long _infoResendAt;
    private long _newLeaderZxid = -1;
    private bool _ackDue;
    private long _lastAckSent;

    private enum FollowerPhase
    {
        None,
        Discovery,
        AwaitEpochDurable,
        EpochAcked,
        Synced,
        Broadcast,
    }

    private void BecomeFollower(int leader)
    {
        LeaveRole();
        _role = _isObserver ? ReplicaRole.Observing : ReplicaRole.Following;
        _leaderId = leader;
        _epoch = 0;
        _attempt++;
        // Unique per (incarnation, attempt), so messages meant for an earlier connection are recognised as stale.
        _session = unchecked((_incarnation << 32) + _attempt);
        _fphase = FollowerPhase.Discovery;
        _phaseDeadline = _now + _options.InitLimitTicks;
        _leaderLastHeard = _now;
        UpdateStatus();
        SendFollowerInfo();
    }

    private void ResetFollower()
    {
        FailFollowerSyncs();
        _fphase = FollowerPhase.None;
        _newLeaderZxid = -1;
        _ackDue = false;
    }

    private void SendFollowerInfo()
    {
        _infoResendAt = _now + (2 * _options.HeartbeatTicks);
        Send(_leaderId, new FollowerInfo(_session, _epochs.AcceptedEpoch, _epochs.AcceptedLeaderId, _epochs.CurrentEpoch, LastLogged, _isObserver));
    }

    /// <summary>
    /// The shell's connection from <paramref name="serverId"/> closed (typically its process died). A follower or
    /// observer of that leader looks for a new one at once instead of after <see cref="ReplicaOptions.SyncLimitTicks"/>,
    /// as ZooKeeper's followers do when the leader's socket closes. It is exactly what the timeout would do later, so
    /// it is always safe; a false alarm costs one election.
    /// </summary>
    public void PeerDisconnected(int serverId)
    {
        EnsureStarted();
        if (_role is ReplicaRole.Following or ReplicaRole.Observing && serverId == _leaderId)
        {
            StartLooking();
        }
    }

    private void TickFollower()
    {
        if (_fphase == FollowerPhase.Broadcast)
        {
            if (_now - _leaderLastHeard > _options.SyncLimitTicks)
            {
                StartLooking();
                return;
            }
        }
        else
        {
            if (_now >= _phaseDeadline)
            {
                StartLooking();
                return;
            }

            if (_fphase == FollowerPhase.Discovery && _now >= _infoResendAt)
            {
                SendFollowerInfo();
            }
        }

        ExpireFollowerSyncs();
    }

    private void ReceiveAsFollower(ReplicaMessage message)
    {
        switch (message)
        {
            case NewEpoch m:
                OnNewEpoch(m);
                break;
            case Diff m when IsCurrentSync(m.Epoch, m.Session):
                ApplyDiffOrTrunc(m.FromZxid, m.Records);
                break;
            case Trunc m when IsCurrentSync(m.Epoch, m.Session):
                ApplyDiffOrTrunc(m.TruncateAfterZxid, m.Records);
                break;
            case Snap m when IsCurrentSync(m.Epoch, m.Session):
                ApplySnap(m);
                break;
            case NewLeader m:
                OnNewLeader(m);
                break;
            case Proposal m:
                OnReplicate(m.Epoch, m.PrevZxid, m.Records, m.CommitZxid);
                break;
            case Inform m:
                OnReplicate(m.Epoch, m.PrevZxid, m.Records, m.CommitZxid);
                break;
            case Commit m when _fphase == FollowerPhase.Broadcast && m.Epoch == _epoch:
                _leaderLastHeard = _now;
                MarkServing();
                AdvanceCommit(m.Zxid);
                break;
            case Ping m:
                OnPing(m);
                break;
            case SyncReply m:
                OnSyncReply(m);
                break;
            case ForwardReply m:
                _outputs.Add(new ForwardReplyReceived(m.RequestId, m.Status, m.Payload));
                break;
        }
    }

    private bool IsCurrentSync(long epoch, long session) =>
        _fphase == FollowerPhase.EpochAcked && epoch == _epoch && session == _session;

    private void OnNewEpoch(NewEpoch m)
    {
        if (_fphase != FollowerPhase.Discovery || m.Session != _session)
        {
            return;
        }

        _leaderLastHeard = _now;
        if (_isObserver)
        {
            // Observers never count toward a quorum, so they need not be exclusive; they only refuse older leaders.
            if (m.Epoch < _epochs.CurrentEpoch)
            {
                StartLooking();
                return;
            }

            _epoch = m.Epoch;
            _fphase = FollowerPhase.EpochAcked;
            UpdateStatus();
            SendAckEpoch();
            return;
        }

        // One epoch, one leader: never acknowledge an epoch older than the accepted one, nor the same epoch for another leader.
        if (m.Epoch < _epochs.AcceptedEpoch || (m.Epoch == _epochs.AcceptedEpoch && _epochs.AcceptedLeaderId != _leaderId))
        {
            StartLooking();
            return;
        }

        _epoch = m.Epoch;
        UpdateStatus();
        if (_epochs.AcceptedEpoch != m.Epoch)
        {
            RequestEpochs(_epochs with { AcceptedEpoch = m.Epoch, AcceptedLeaderId = _leaderId });
        }

        _fphase = FollowerPhase.AwaitEpochDurable;
        FollowerEpochsDurable();
    }

    private void SendAckEpoch() =>
        Send(_leaderId, new AckEpoch(_epoch, _session, _epochs.CurrentEpoch, LastLogged));

    private void FollowerEpochsDurable()
    {
        if (_fphase == FollowerPhase.AwaitEpochDurable
            && _durableEpochs.AcceptedEpoch == _epoch
            && _durableEpochs.AcceptedLeaderId == _leaderId)
        {
            _fphase = FollowerPhase.EpochAcked;
            SendAckEpoch();
        }

        TryAckNewLeader();
    }

    private void FollowerDurableAdvanced()
    {
        if (_fphase == FollowerPhase.Broadcast)
        {
            _ackDue = true;
        }
        else
        {
            TryAckNewLeader();
        }
    }

    /// <summary>DIFF and TRUNC: keep the log up to <paramref name="keepThrough"/>, drop the rest, append the leader's records.</summary>
    private void ApplyDiffOrTrunc(long keepThrough, IReadOnlyList<LogEntry> records)
    {
        _leaderLastHeard = _now;
        if (!HasZxid(keepThrough))
        {
            // Continuing from a zxid this log does not hold would leave a gap: ask for a snapshot instead.
            Send(_leaderId, new SnapNeeded(_epoch, _session));
            return;
        }

        if (!TruncateAfter(keepThrough) || !AppendChain(keepThrough, records, 0))
        {
            StartLooking();
            return;
        }

        _fphase = FollowerPhase.Synced;
        TryAckNewLeader();
    }

    private void ApplySnap(Snap m)
    {
        _leaderLastHeard = _now;
        var z = m.SnapshotZxid;
        if (z < _base)
        {
            // The leader always snapshots at or after its own compaction point, which is past this log's end.
            Violation($"SNAP at {Zxid.Format(z)} is older than the local snapshot {Zxid.Format(_base)}");
            StartLooking();
            return;
        }

        // Records after z that already match the leader's are kept: dropping durable records that the new history
        // contains could leave a committed txn on fewer than a quorum.
        var start = FirstIndexAfter(z);
        var matched = 0;
        while (start + matched < _log.Count && matched < m.Records.Count && _log[start + matched].Zxid == m.Records[matched].Zxid)
        {
            matched++;
        }

        var keep = matched > 0 ? m.Records[matched - 1].Zxid : z;
        if (!TruncateAfter(keep))
        {
            StartLooking();
            return;
        }

        if (z <= _delivered && HasZxid(z))
        {
            // The applied state already includes z and the log continues from it: the snapshot adds nothing.
        }
        else
        {
            _log.RemoveRange(0, FirstIndexAfter(z));
            _base = z;
            _installPending = true;
            _installZxid = z;
            _heldAppends = [];
            _outputs.Add(new InstallSnapshot(z, m.Snapshot));
            _delivered = z;
            _committed = Math.Max(_committed, z);
        }

        if (!AppendChain(keep, m.Records, matched))
        {
            StartLooking();
            return;
        }

        DeliverCommitted();
        _fphase = FollowerPhase.Synced;
        TryAckNewLeader();
    }

    /// <summary>Appends <paramref name="records"/> from <paramref name="startIndex"/>, refusing any gap.</summary>
    private bool AppendChain(long previous, IReadOnlyList<LogEntry> records, int startIndex)
    {
        for (var i = startIndex; i < records.Count; i++)
        {
            var record = records[i];
            if (!Zxid.IsSuccessor(previous, record.Zxid))
            {
                Violation($"leader {_leaderId} sent {Zxid.Format(record.Zxid)} after {Zxid.Format(previous)}: a gap in its history");
                return false;
            }

            AppendEntry(record);
            previous = record.Zxid;
        }

        return true;
    }

    private void OnNewLeader(NewLeader m)
    {
        if (m.Epoch != _epoch || m.Session != _session || _fphase is not (FollowerPhase.EpochAcked or FollowerPhase.Synced))
        {
            return;
        }

        _leaderLastHeard = _now;
        _newLeaderZxid = m.LastZxid;
        TryAckNewLeader();
    }

    /// <summary>
    /// Acknowledges NEWLEADER once every record of the synchronised history is durable, and only then makes the
    /// new epoch the durable currentEpoch (ZOOKEEPER-3911, 4643, 4646: ack and epoch never run ahead of the log).
    /// </summary>
    private void TryAckNewLeader()
    {
        if (_fphase != FollowerPhase.Synced || _newLeaderZxid < 0)
        {
            return;
        }

        if (LastLogged != _newLeaderZxid)
        {
            Violation($"NEWLEADER names {Zxid.Format(_newLeaderZxid)} but the synchronised log ends at {Zxid.Format(LastLogged)}");
            StartLooking();
            return;
        }

        if (DurablePoint < LastLogged)
        {
            return;
        }

        if (_epochs.CurrentEpoch < _epoch)
        {
            RequestEpochs(_isObserver
                ? new EpochState(_epoch, Math.Max(_epochs.AcceptedEpoch, _epoch), _epochs.AcceptedEpoch > _epoch ? _epochs.AcceptedLeaderId : _leaderId)
                : _epochs with { CurrentEpoch = _epoch });
        }

        if (_durableEpochs.CurrentEpoch < _epoch)
        {
            return;
        }

        Send(_leaderId, new AckNewLeader(_epoch, _session, LastLogged));
        _fphase = FollowerPhase.Broadcast;
        _lastAckSent = LastLogged;
        _leaderLastHeard = _now;
    }

    private void OnReplicate(long epoch, long previous, IReadOnlyList<LogEntry> records, long commitZxid)
    {
        if (_fphase != FollowerPhase.Broadcast || epoch != _epoch)
        {
            return;
        }

        _leaderLastHeard = _now;
        MarkServing();
        if (previous > LastLogged)
        {
            Send(_leaderId, new Nack(_epoch, LastLogged));
        }
        else
        {
            foreach (var record in records)
            {
                if (record.Zxid <= LastLogged)
                {
                    previous = record.Zxid;
                    continue;
                }

                if (previous != LastLogged)
                {
                    Send(_leaderId, new Nack(_epoch, LastLogged));
                    break;
                }

                if (!Zxid.IsSuccessor(previous, record.Zxid))
                {
                    Violation($"leader {_leaderId} proposed {Zxid.Format(record.Zxid)} after {Zxid.Format(previous)}");
                    StartLooking();
                    return;
                }

                AppendEntry(record);
                previous = record.Zxid;
            }
        }

        AdvanceCommit(commitZxid);
    }

    private void OnPing(Ping m)
    {
        if (m.Epoch != _epoch || _fphase < FollowerPhase.AwaitEpochDurable)
        {
            return;
        }

        _leaderLastHeard = _now;
        if (_fphase == FollowerPhase.Broadcast && !_serving)
        {
            // Not activated yet: our NEWLEADER ack may have been lost, and repeating it is harmless.
            Send(_leaderId, new AckNewLeader(_epoch, _session, _newLeaderZxid));
        }

        Send(_leaderId, new PingAck(_epoch, m.Round, LastLogged, DurablePoint));
        if (_fphase == FollowerPhase.Broadcast)
        {
            AdvanceCommit(m.CommitZxid);
        }
    }

    private void MarkServing()
    {
        if (!_serving)
        {
            _serving = true;
            UpdateStatus();
        }
    }

    private void FlushFollower()
    {
        if (!_ackDue)
        {
            return;
        }

        _ackDue = false;
        if (_fphase == FollowerPhase.Broadcast && DurablePoint > _lastAckSent)
        {
            _lastAckSent = DurablePoint;
            Send(_leaderId, new Ack(_epoch, _lastAckSent));
        }
    }
}
