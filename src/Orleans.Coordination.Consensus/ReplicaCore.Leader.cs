using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

/// <summary>Leader: discovery (epoch), synchronisation of each follower, establishment and broadcast.</summary>
public sealed partial class ReplicaCore
{
    private readonly Dictionary<int, Peer> _peers = [];
    private LeaderPhase _lphase;
    private long _startCurrentEpoch;
    private long _startLastZxid;
    private long _historyEnd;
    private bool _selfEpochAcked;
    private bool _selfNewLeaderAcked;
    private long _counter;
    private long _pingRound;
    private long _nextPingAt;
    private bool _pingNow;
    private bool _snapshotRequested;
    private long[] _ackScratch = [];

    private enum LeaderPhase
    {
        Discovery,
        EpochDecided,
        Syncing,
        Broadcast,
    }

    private enum PeerPhase
    {
        InfoReceived,
        EpochSent,
        EpochAcked,
        AwaitSnapshot,
        NewLeaderSent,
        Active,
    }

    /// <summary>(Leader) the followers and observers attached to this leader, by id, with their phase.</summary>
    public IReadOnlyDictionary<int, string> PeerPhases =>
        _peers.ToDictionary(p => p.Key, p => p.Value.Phase.ToString());

    /// <summary>
    /// (Established leader) the zxid the next <see cref="ReplicaCore.Propose"/> will stamp, for shells that write the
    /// zxid into the txn they serialise; 0 when this server cannot propose. Valid until the next input.
    /// </summary>
    public long NextProposalZxid =>
        _role == ReplicaRole.Leading && _lphase == LeaderPhase.Broadcast && _counter < Zxid.MaxCounter ? Zxid.Make(_epoch, _counter + 1) : 0;

    private void BecomeLeader()
    {
        LeaveRole();
        _role = ReplicaRole.Leading;
        _leaderId = _id;
        _epoch = 0;
        _lphase = LeaderPhase.Discovery;
        _phaseDeadline = _now + _options.InitLimitTicks;
        _startCurrentEpoch = _epochs.CurrentEpoch;
        _startLastZxid = LastLogged;
        _historyEnd = LastLogged;
        _selfEpochAcked = false;
        _selfNewLeaderAcked = false;
        _counter = 0;
        _nextPingAt = _now;
        UpdateStatus();
        TryDecideEpoch();
    }

    private void ResetLeader()
    {
        _peers.Clear();
        _pingNow = false;
        _snapshotRequested = false;
        FailLeaderSyncs();
    }

    private void StepDown() => StartLooking();

    private void TickLeader()
    {
        if (_lphase != LeaderPhase.Broadcast)
        {
            if (_now >= _phaseDeadline)
            {
                StepDown();
                return;
            }
        }
        else
        {
            // A leader that cannot hear a quorum might be on the wrong side of a partition: stop serving.
            var alive = 1;
            foreach (var peer in _peers.Values)
            {
                if (!peer.IsObserver && peer.Phase == PeerPhase.Active && _now - peer.LastHeard <= _options.SyncLimitTicks)
                {
                    alive++;
                }
            }

            if (alive < _quorum)
            {
                StepDown();
                return;
            }
        }

        // A follower stuck in discovery or synchronisation (lost messages) is forgotten: without our pings it
        // times out and connects again with a fresh session.
        List<int>? stuck = null;
        foreach (var peer in _peers.Values)
        {
            if (peer.Phase != PeerPhase.Active && _now - peer.PhaseSince > _options.InitLimitTicks)
            {
                (stuck ??= []).Add(peer.Id);
            }
        }

        if (stuck is not null)
        {
            foreach (var id in stuck)
            {
                _peers.Remove(id);
            }
        }

        if (_lphase != LeaderPhase.Discovery && _now >= _nextPingAt)
        {
            _nextPingAt = _now + _options.HeartbeatTicks;
            _pingNow = true;
        }
    }

    private void ReceiveAsLeader(int from, ReplicaMessage message)
    {
        if (message is FollowerInfo info)
        {
            OnFollowerInfo(from, info);
            return;
        }

        if (!_peers.TryGetValue(from, out var peer))
        {
            if (message is ForwardRequest fr)
            {
                Send(from, new ForwardReply(fr.RequestId, ForwardStatus.NotLeader, []));
            }
            else if (message is SyncRequest sr)
            {
                Send(from, new SyncReply(_epoch, sr.SyncId, -1));
            }

            return;
        }

        peer.LastHeard = _now;
        switch (message)
        {
            case AckEpoch m when m.Session == peer.Session && m.Epoch == _epoch && peer.Phase == PeerPhase.EpochSent:
                OnAckEpoch(peer, m);
                break;
            case SnapNeeded m when m.Session == peer.Session && m.Epoch == _epoch && peer.Phase == PeerPhase.NewLeaderSent:
                peer.Phase = PeerPhase.AwaitSnapshot;
                RequestSnapshot();
                break;
            case AckNewLeader m when m.Session == peer.Session && m.Epoch == _epoch && peer.Phase == PeerPhase.NewLeaderSent:
                OnAckNewLeader(peer, m);
                break;
            case Ack m when m.Epoch == _epoch && peer.Phase == PeerPhase.Active:
                OnAck(peer, m.Zxid);
                break;
            case Nack m when m.Epoch == _epoch && peer.Phase == PeerPhase.Active:
                OnNack(peer, m.LastZxid);
                break;
            case PingAck m when m.Epoch == _epoch:
                OnPingAck(peer, m);
                break;
            case ForwardRequest m:
                OnForwardRequest(peer, m);
                break;
            case SyncRequest m:
                OnSyncRequest(peer, m);
                break;
        }
    }

    private void OnFollowerInfo(int from, FollowerInfo m)
    {
        if (m.IsObserver == _voterSet.Contains(from))
        {
            return; // the sender's configuration disagrees with ours about its role
        }

        if (_peers.TryGetValue(from, out var peer) && peer.Session == m.Session)
        {
            peer.LastHeard = _now;
            if (peer.Phase == PeerPhase.EpochSent)
            {
                Send(from, new NewEpoch(_epoch, peer.Session)); // the first one may have been lost
            }

            return;
        }

        // A voter that accepted a newer epoch, or this epoch from another leader (one that never got established),
        // can never join this epoch. Once established, step down so that the next epoch, greater than every
        // accepted one, can include it; before that, it simply does not count.
        if (!m.IsObserver && (m.AcceptedEpoch > _epoch || (m.AcceptedEpoch == _epoch && m.AcceptedLeaderId != _id)) && _epoch != 0)
        {
            if (_lphase == LeaderPhase.Broadcast)
            {
                StepDown();
            }

            return;
        }

        // A new connection from this server (first, or after a restart or a gap): start it from discovery.
        peer = new Peer(from, m.IsObserver, m.Session) { AcceptedEpoch = m.AcceptedEpoch, LastHeard = _now, PhaseSince = _now };
        _peers[from] = peer;
        if (_lphase == LeaderPhase.Discovery)
        {
            TryDecideEpoch();
        }
        else
        {
            peer.Phase = PeerPhase.EpochSent;
            Send(from, new NewEpoch(_epoch, peer.Session));
        }
    }

    private void TryDecideEpoch()
    {
        if (_lphase != LeaderPhase.Discovery)
        {
            return;
        }

        var count = 1;
        var maxAccepted = _epochs.AcceptedEpoch;
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsObserver)
            {
                count++;
                maxAccepted = Math.Max(maxAccepted, peer.AcceptedEpoch);
            }
        }

        if (count < _quorum)
        {
            return;
        }

        // Greater than every acceptedEpoch of a quorum, so no earlier leader can have used it with this quorum.
        _epoch = maxAccepted + 1;
        _lphase = LeaderPhase.EpochDecided;
        RequestEpochs(_epochs with { AcceptedEpoch = _epoch, AcceptedLeaderId = _id });
        foreach (var peer in _peers.Values)
        {
            peer.Phase = PeerPhase.EpochSent;
            Send(peer.Id, new NewEpoch(_epoch, peer.Session));
        }

        UpdateStatus();
        _pingNow = true;
    }

    private void LeaderEpochsDurable()
    {
        if (_lphase == LeaderPhase.EpochDecided
            && _durableEpochs.AcceptedEpoch == _epoch
            && _durableEpochs.AcceptedLeaderId == _id)
        {
            _selfEpochAcked = true;
            TryEpochQuorum();
        }

        TrySelfNewLeader();
    }

    private void OnAckEpoch(Peer peer, AckEpoch m)
    {
        // Until a quorum acknowledged the epoch, a voter whose history is ahead of ours may hold commits we lack:
        // we must not lead (ZooKeeper does the same). Once a quorum of voters, none ahead of us, acknowledged it,
        // our history holds every committed txn, so a later joiner's extra records are uncommitted: TRUNC drops them.
        if (_lphase == LeaderPhase.EpochDecided
            && !peer.IsObserver
            && (m.CurrentEpoch > _startCurrentEpoch || (m.CurrentEpoch == _startCurrentEpoch && m.LastZxid > _startLastZxid)))
        {
            StepDown();
            return;
        }

        peer.Phase = PeerPhase.EpochAcked;
        peer.LastZxid = m.LastZxid;
        if (_lphase == LeaderPhase.EpochDecided)
        {
            TryEpochQuorum();
        }
        else
        {
            StartSync(peer);
        }
    }

    private void TryEpochQuorum()
    {
        if (_lphase != LeaderPhase.EpochDecided || !_selfEpochAcked)
        {
            return;
        }

        var count = 1;
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsObserver && peer.Phase >= PeerPhase.EpochAcked)
            {
                count++;
            }
        }

        if (count < _quorum)
        {
            return;
        }

        _lphase = LeaderPhase.Syncing;
        foreach (var peer in _peers.Values.ToList())
        {
            if (peer.Phase == PeerPhase.EpochAcked)
            {
                StartSync(peer);
            }
        }

        TrySelfNewLeader();
    }

    /// <summary>Sends DIFF, TRUNC or (once the shell provides one) SNAP, followed by NEWLEADER.</summary>
    private void StartSync(Peer peer)
    {
        var kind = SyncPlanner.Plan(peer.LastZxid, _base, _log, out var point);
        ReplicaMessage sync;
        switch (kind)
        {
            case SyncKind.Diff:
                sync = new Diff(_epoch, peer.Session, point, RecordsAfter(point));
                break;
            case SyncKind.Trunc:
                sync = new Trunc(_epoch, peer.Session, point, RecordsAfter(point));
                break;
            default:
                peer.Phase = PeerPhase.AwaitSnapshot;
                RequestSnapshot();
                return;
        }

        Send(peer.Id, sync);
        SendNewLeader(peer);
    }

    private void SendNewLeader(Peer peer)
    {
        Send(peer.Id, new NewLeader(_epoch, peer.Session, LastLogged));
        peer.Phase = PeerPhase.NewLeaderSent;
        peer.SentUpTo = LastLogged;
    }

    private void RequestSnapshot()
    {
        if (!_snapshotRequested)
        {
            _snapshotRequested = true;
            _outputs.Add(new SnapshotRequested());
        }
    }

    private void OnSnapshotReady(long zxid, byte[] data)
    {
        if (_role != ReplicaRole.Leading)
        {
            return;
        }

        _snapshotRequested = false;
        var waiting = _peers.Values.Where(p => p.Phase == PeerPhase.AwaitSnapshot).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        if (zxid < _base || !HasZxid(zxid))
        {
            // Records between the snapshot and the log's start are gone: ask for a newer snapshot.
            RequestSnapshot();
            return;
        }

        foreach (var peer in waiting)
        {
            Send(peer.Id, new Snap(_epoch, peer.Session, zxid, data, RecordsAfter(zxid)));
            SendNewLeader(peer);
        }
    }

    private void TrySelfNewLeader()
    {
        if (_lphase != LeaderPhase.Syncing || _selfNewLeaderAcked || DurablePoint < _historyEnd)
        {
            return;
        }

        // Our own NEWLEADER ack: the history is durable, now the epoch (never the other way round).
        if (_epochs.CurrentEpoch < _epoch)
        {
            RequestEpochs(_epochs with { CurrentEpoch = _epoch });
        }

        if (_durableEpochs.CurrentEpoch < _epoch)
        {
            return;
        }

        _selfNewLeaderAcked = true;
        TryEstablish();
    }

    private void OnAckNewLeader(Peer peer, AckNewLeader m)
    {
        peer.Phase = PeerPhase.Active;
        peer.ActiveSinceRound = _pingRound;
        peer.Acked = Math.Min(m.LastZxid, peer.SentUpTo);
        peer.CommitSent = -1;
        peer.LastReportedLogged = -1;
        if (_lphase == LeaderPhase.Broadcast)
        {
            if (!peer.IsObserver)
            {
                RecomputeCommit();
            }
        }
        else
        {
            TryEstablish();
        }
    }

    private void TryEstablish()
    {
        if (_lphase != LeaderPhase.Syncing || !_selfNewLeaderAcked)
        {
            return;
        }

        var count = 1;
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsObserver && peer.Phase == PeerPhase.Active)
            {
                count++;
            }
        }

        if (count < _quorum)
        {
            return;
        }

        // A quorum holds H durably with currentEpoch = e: H is committed, and the leader may serve.
        _lphase = LeaderPhase.Broadcast;
        _serving = true;
        foreach (var peer in _peers.Values)
        {
            peer.LastHeard = _now;
        }

        UpdateStatus();
        AdvanceCommit(_historyEnd);
        RecomputeCommit();
    }

    private void LeaderDurableAdvanced()
    {
        if (_lphase == LeaderPhase.Broadcast)
        {
            RecomputeCommit();
        }
        else
        {
            TrySelfNewLeader();
        }
    }

    private ProposeResult ProposeAsLeader(byte[] payload)
    {
        if (_role != ReplicaRole.Leading || _lphase != LeaderPhase.Broadcast)
        {
            return new ProposeResult(0, ProposeRejection.NotLeader, _role == ReplicaRole.Looking ? -1 : _leaderId);
        }

        if (ActiveVoters() + 1 < _quorum)
        {
            return new ProposeResult(0, ProposeRejection.NoQuorum, _id);
        }

        if (_counter >= Zxid.MaxCounter)
        {
            StepDown();
            return new ProposeResult(0, ProposeRejection.EpochExhausted, -1);
        }

        var zxid = Zxid.Make(_epoch, ++_counter);
        AppendEntry(new LogEntry(zxid, payload));
        return new ProposeResult(zxid, ProposeRejection.None, _id);
    }

    private int ActiveVoters()
    {
        var count = 0;
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsObserver && peer.Phase == PeerPhase.Active)
            {
                count++;
            }
        }

        return count;
    }

    private void OnAck(Peer peer, long zxid)
    {
        zxid = Math.Min(zxid, peer.SentUpTo);
        if (zxid > peer.Acked)
        {
            peer.Acked = zxid;
            if (!peer.IsObserver)
            {
                RecomputeCommit();
            }
        }
    }

    /// <summary>Commits the highest zxid durable on a quorum of voters, the leader included.</summary>
    private void RecomputeCommit()
    {
        if (_lphase != LeaderPhase.Broadcast)
        {
            return;
        }

        if (_ackScratch.Length < _voters.Length)
        {
            _ackScratch = new long[_voters.Length];
        }

        var n = 0;
        _ackScratch[n++] = DurablePoint;
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsObserver && peer.Phase == PeerPhase.Active)
            {
                _ackScratch[n++] = peer.Acked;
            }
        }

        if (n < _quorum)
        {
            return;
        }

        Array.Sort(_ackScratch, 0, n);
        // Sorted ascending: the quorum-th highest value is durable on at least a quorum.
        AdvanceCommit(Math.Min(_ackScratch[n - _quorum], LastLogged));
    }

    private void OnNack(Peer peer, long lastZxid)
    {
        if (lastZxid >= peer.SentUpTo)
        {
            return;
        }

        if (HasZxid(lastZxid))
        {
            peer.SentUpTo = lastZxid;
        }
        else
        {
            // The follower is behind our compaction point: drop it; it times out and re-synchronises with a SNAP.
            _peers.Remove(peer.Id);
        }
    }

    private void OnPingAck(Peer peer, PingAck m)
    {
        peer.PingRoundAcked = Math.Max(peer.PingRoundAcked, m.Round);
        // Only answers to pings sent after activation describe the synchronised log (older ones predate a TRUNC).
        if (peer.Phase == PeerPhase.Active && m.Round > peer.ActiveSinceRound)
        {
            OnAck(peer, m.DurableZxid);
            // Proposals lost in transit: the follower's log stopped short of what we sent, two pings in a row.
            if (m.LastZxid < peer.SentUpTo && m.LastZxid == peer.LastReportedLogged && m.Round > peer.LastReportedRound)
            {
                OnNack(peer, m.LastZxid);
            }

            if (m.Round > peer.LastReportedRound)
            {
                peer.LastReportedLogged = m.LastZxid;
                peer.LastReportedRound = m.Round;
            }
        }

        ConfirmLeaderSyncs();
    }

    private void FlushLeader()
    {
        if (_role != ReplicaRole.Leading)
        {
            return;
        }

        if (_lphase == LeaderPhase.Broadcast)
        {
            List<int>? behind = null;
            foreach (var peer in _peers.Values)
            {
                if (peer.Phase == PeerPhase.Active && !ReplicateTo(peer))
                {
                    (behind ??= []).Add(peer.Id);
                }
            }

            if (behind is not null)
            {
                // Their next record was compacted away: forgotten, they time out and come back for a SNAP.
                foreach (var id in behind)
                {
                    _peers.Remove(id);
                }
            }
        }

        if (_pingNow && _lphase != LeaderPhase.Discovery)
        {
            _pingNow = false;
            _pingRound++;
            AssignSyncRound(_pingRound);
            var ping = new Ping(_epoch, _pingRound, _committed, LastLogged);
            foreach (var peer in _peers.Values)
            {
                if (peer.Phase >= PeerPhase.EpochSent)
                {
                    Send(peer.Id, ping);
                }
            }

            ConfirmLeaderSyncs();
        }
    }

    /// <summary>Sends a peer what it lacks; false when that was compacted away.</summary>
    private bool ReplicateTo(Peer peer)
    {
        var limit = peer.IsObserver ? _committed : LastLogged;
        while (peer.SentUpTo < limit)
        {
            if (peer.SentUpTo < _base)
            {
                return false;
            }

            var batch = new List<LogEntry>();
            var bytes = 0;
            for (var i = FirstIndexAfter(peer.SentUpTo); i < _log.Count && _log[i].Zxid <= limit && batch.Count < _options.MaxRecordsPerMessage; i++)
            {
                bytes += _log[i].Payload.Length;
                if (batch.Count > 0 && bytes > _options.MaxBytesPerMessage)
                {
                    break;
                }

                batch.Add(_log[i]);
            }

            if (batch.Count == 0)
            {
                break;
            }

            Send(peer.Id, peer.IsObserver
                ? new Inform(_epoch, peer.SentUpTo, batch, _committed)
                : new Proposal(_epoch, peer.SentUpTo, batch, _committed));
            peer.SentUpTo = batch[^1].Zxid;
            peer.CommitSent = _committed;
        }

        if (peer.CommitSent < _committed)
        {
            peer.CommitSent = _committed;
            Send(peer.Id, new Commit(_epoch, _committed));
        }

        return true;
    }

    private sealed class Peer(int id, bool isObserver, long session)
    {
        public int Id { get; } = id;

        public bool IsObserver { get; } = isObserver;

        public long Session { get; } = session;

        public PeerPhase Phase { get; set; } = PeerPhase.InfoReceived;

        public long AcceptedEpoch { get; init; }

        public long LastZxid { get; set; }

        public long SentUpTo { get; set; }

        public long Acked { get; set; }

        public long CommitSent { get; set; } = -1;

        public long LastHeard { get; set; }

        public long PingRoundAcked { get; set; }

        public long LastReportedLogged { get; set; } = -1;

        public long LastReportedRound { get; set; }

        public long ActiveSinceRound { get; set; }

        /// <summary>When the peer connected (its session began).</summary>
        public long PhaseSince { get; init; }
    }
}
