using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

/// <summary>Forwarded writes and linearizable sync.</summary>
public sealed partial class ReplicaCore
{
    private readonly Dictionary<long, (long Target, long Deadline)> _followerSyncs = [];
    private readonly List<LeaderSync> _leaderSyncs = [];

    /// <summary>
    /// (Follower or observer) forwards a client's write to the leader. Returns false when this server is not
    /// attached to an established leader (the shell answers the client with a connection-loss style error).
    /// </summary>
    /// <param name="requestId">The shell's id for the request; it comes back in <see cref="ForwardReplyReceived"/>.</param>
    /// <param name="payload">The opaque request.</param>
    public bool Forward(long requestId, byte[] payload)
    {
        EnsureStarted();
        ArgumentNullException.ThrowIfNull(payload);
        if (_role is not (ReplicaRole.Following or ReplicaRole.Observing) || _fphase != FollowerPhase.Broadcast)
        {
            return false;
        }

        Send(_leaderId, new ForwardRequest(_id, requestId, payload));
        return true;
    }

    /// <summary>
    /// (Leader) answers a <see cref="ForwardedRequest"/> directly, for requests that produce no txn.
    /// </summary>
    public void ReplyToForward(int origin, long requestId, byte[] payload)
    {
        EnsureStarted();
        ArgumentNullException.ThrowIfNull(payload);
        if (origin != _id && _memberSet.Contains(origin))
        {
            Send(origin, new ForwardReply(requestId, ForwardStatus.Reply, payload));
        }
    }

    /// <summary>
    /// Starts a linearizable sync: completes (<see cref="SyncCompleted"/>) once this server has applied every txn
    /// the leader had committed when the request reached it, with the leader's leadership confirmed by a quorum;
    /// fails (<see cref="SyncFailed"/>) without an established leader, on a leader change, or after
    /// <see cref="ReplicaOptions.InitLimitTicks"/> without an answer.
    /// </summary>
    public void RequestSync(long syncId)
    {
        EnsureStarted();
        if (_role == ReplicaRole.Leading && _lphase == LeaderPhase.Broadcast)
        {
            _leaderSyncs.Add(new LeaderSync(_id, syncId, _committed));
            _pingNow = true;
            ConfirmLeaderSyncs();
        }
        else if (_role is ReplicaRole.Following or ReplicaRole.Observing && _fphase == FollowerPhase.Broadcast && _serving
            && !_followerSyncs.ContainsKey(syncId))
        {
            _followerSyncs[syncId] = (-1, _now + _options.InitLimitTicks);
            Send(_leaderId, new SyncRequest(syncId));
        }
        else
        {
            _outputs.Add(new SyncFailed(syncId));
        }
    }

    private void OnForwardRequest(Peer peer, ForwardRequest m)
    {
        if (_lphase == LeaderPhase.Broadcast && peer.Phase == PeerPhase.Active)
        {
            _outputs.Add(new ForwardedRequest(m.Origin, m.RequestId, m.Payload));
        }
        else
        {
            Send(peer.Id, new ForwardReply(m.RequestId, ForwardStatus.NotLeader, []));
        }
    }

    private void OnSyncRequest(Peer peer, SyncRequest m)
    {
        if (_lphase == LeaderPhase.Broadcast && peer.Phase == PeerPhase.Active)
        {
            // The commit point now; answered once a ping round sent after this moment is acked by a quorum.
            _leaderSyncs.Add(new LeaderSync(peer.Id, m.SyncId, _committed));
            _pingNow = true;
        }
        else
        {
            Send(peer.Id, new SyncReply(_epoch, m.SyncId, -1));
        }
    }

    private void AssignSyncRound(long round)
    {
        foreach (var sync in _leaderSyncs)
        {
            if (sync.Round == 0)
            {
                sync.Round = round;
            }
        }
    }

    private void ConfirmLeaderSyncs()
    {
        if (_leaderSyncs.Count == 0 || _lphase != LeaderPhase.Broadcast)
        {
            return;
        }

        for (var i = 0; i < _leaderSyncs.Count; i++)
        {
            var sync = _leaderSyncs[i];
            if (_quorum > 1 && (sync.Round == 0 || !RoundConfirmed(sync.Round)))
            {
                continue;
            }

            if (sync.Origin == _id)
            {
                _outputs.Add(new SyncCompleted(sync.SyncId, sync.Target));
            }
            else
            {
                Send(sync.Origin, new SyncReply(_epoch, sync.SyncId, sync.Target));
            }

            _leaderSyncs.RemoveAt(i--);
        }
    }

    private bool RoundConfirmed(long round)
    {
        var count = 1;
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsObserver && peer.Phase == PeerPhase.Active && peer.PingRoundAcked >= round)
            {
                count++;
            }
        }

        return count >= _quorum;
    }

    private void FailLeaderSyncs()
    {
        foreach (var sync in _leaderSyncs)
        {
            if (sync.Origin == _id)
            {
                _outputs.Add(new SyncFailed(sync.SyncId));
            }
        }

        _leaderSyncs.Clear();
    }

    private void OnSyncReply(SyncReply m)
    {
        if (!_followerSyncs.TryGetValue(m.SyncId, out var sync) || sync.Target >= 0)
        {
            return;
        }

        if (m.Zxid < 0 || m.Epoch != _epoch)
        {
            _followerSyncs.Remove(m.SyncId);
            _outputs.Add(new SyncFailed(m.SyncId));
            return;
        }

        _followerSyncs[m.SyncId] = (m.Zxid, sync.Deadline);
        CompleteFollowerSyncs();
    }

    private void CompleteFollowerSyncs()
    {
        if (_followerSyncs.Count == 0)
        {
            return;
        }

        foreach (var (id, sync) in _followerSyncs.ToList())
        {
            if (sync.Target >= 0 && _delivered >= sync.Target)
            {
                _followerSyncs.Remove(id);
                _outputs.Add(new SyncCompleted(id, sync.Target));
            }
        }
    }

    private void ExpireFollowerSyncs()
    {
        if (_followerSyncs.Count == 0)
        {
            return;
        }

        foreach (var (id, sync) in _followerSyncs.ToList())
        {
            if (sync.Target < 0 && _now >= sync.Deadline)
            {
                _followerSyncs.Remove(id);
                _outputs.Add(new SyncFailed(id));
            }
        }
    }

    private void FailFollowerSyncs()
    {
        foreach (var id in _followerSyncs.Keys)
        {
            _outputs.Add(new SyncFailed(id));
        }

        _followerSyncs.Clear();
    }

    private sealed class LeaderSync(int origin, long syncId, long target)
    {
        public int Origin { get; } = origin;

        public long SyncId { get; } = syncId;

        public long Target { get; } = target;

        public long Round { get; set; }
    }
}
