using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

/// <summary>Fast leader election.</summary>
public sealed partial class ReplicaCore
{
    private readonly Dictionary<int, Vote> _received = [];
    private readonly Dictionary<int, (int Leader, PeerState State, long Round)> _outOfElection = [];
    private long _round;
    private long _leaderRound;
    private Vote _vote;
    private long _electionResendAt;
    private long _finalizeAt = -1;

    /// <summary>The vote this server currently holds (meaningful while looking).</summary>
    public Vote CurrentVote => _vote;

    /// <summary>The election round (logical clock).</summary>
    public long ElectionRound => _round;

    private Vote SelfVote() => new(_id, _epochs.CurrentEpoch, LastLogged);

    private void StartLooking()
    {
        LeaveRole();
        _role = ReplicaRole.Looking;
        _leaderId = -1;
        _epoch = 0;
        _round++;
        _received.Clear();
        _outOfElection.Clear();
        _finalizeAt = -1;
        if (!_isObserver)
        {
            _vote = SelfVote();
            _received[_id] = _vote;
        }

        UpdateStatus();
        SendNotifications();
        CheckVoteQuorum();
    }

    private Notification LookingNotification() =>
        _isObserver
            ? new Notification(_round, -1, 0, 0, PeerState.Observing)
            : new Notification(_round, _vote.Leader, _vote.Epoch, _vote.Zxid, PeerState.Looking);

    private void SendNotifications()
    {
        _electionResendAt = _now + _options.ElectionTimeoutTicks;
        var notification = LookingNotification();
        foreach (var voter in _voters)
        {
            if (voter != _id)
            {
                Send(voter, notification);
            }
        }
    }

    private void TickElection()
    {
        if (_finalizeAt >= 0 && _now >= _finalizeAt)
        {
            _finalizeAt = -1;
            if (VoteHasQuorum())
            {
                Decide(_vote.Leader, _round);
                return;
            }
        }

        if (_now >= _electionResendAt)
        {
            SendNotifications();
        }
    }

    private void OnNotification(int from, Notification n)
    {
        if (_role is ReplicaRole.Following or ReplicaRole.Observing && from == _leaderId && n.State == PeerState.Looking && n.Round > _leaderRound)
        {
            // Our leader is electing again (a dropped connection, in ZooKeeper): stop following it now rather than
            // after a timeout, and stop telling others that it leads.
            StartLooking();
        }

        if (_role != ReplicaRole.Looking)
        {
            // Tell a looking server (or an observer asking) which leader this server is with.
            if (n.State is PeerState.Looking or PeerState.Observing && !_isObserver)
            {
                var state = _role == ReplicaRole.Leading ? PeerState.Leading : PeerState.Following;
                Send(from, new Notification(_round, _leaderId, _epoch, 0, state));
            }

            return;
        }

        // Only voters vote, and only for voters.
        if (n.State == PeerState.Observing || !_voterSet.Contains(from) || !_voterSet.Contains(n.ProposedLeader))
        {
            return;
        }

        var incoming = new Vote(n.ProposedLeader, n.ProposedEpoch, n.ProposedZxid);
        if (n.State == PeerState.Looking)
        {
            if (_isObserver)
            {
                return;
            }

            if (n.Round > _round)
            {
                _round = n.Round;
                _received.Clear();
                _finalizeAt = -1;
                var self = SelfVote();
                _vote = incoming.IsBetterThan(self) ? incoming : self;
                _received[_id] = _vote;
                SendNotifications();
            }
            else if (n.Round < _round)
            {
                // The sender is behind: show it the current round and vote.
                Send(from, LookingNotification());
                return;
            }
            else if (incoming.IsBetterThan(_vote))
            {
                _vote = incoming;
                _received[_id] = _vote;
                _finalizeAt = -1;
                SendNotifications();
            }

            _received[from] = incoming;
            CheckVoteQuorum();
            return;
        }

        // The sender follows or leads: maybe a leader is already established and this server should join it.
        _outOfElection[from] = (n.ProposedLeader, n.State, n.Round);
        var leader = n.ProposedLeader;
        if (!_isObserver && n.Round == _round)
        {
            _received[from] = incoming;
            if (CountVotesFor(_received, leader) >= _quorum && LeaderConfirmed(leader, sameRound: true))
            {
                Decide(leader, _round);
                return;
            }
        }

        if (leader != _id && CountOutOfElectionFor(leader) >= _quorum && LeaderConfirmed(leader, sameRound: false))
        {
            Decide(leader, _outOfElection[leader].Round);
        }
    }

    private bool LeaderConfirmed(int leader, bool sameRound) =>
        leader == _id ? sameRound : _outOfElection.TryGetValue(leader, out var s) && s.State == PeerState.Leading && s.Leader == leader;

    private int CountVotesFor(Dictionary<int, Vote> votes, int leader)
    {
        var count = 0;
        foreach (var (voter, vote) in votes)
        {
            if (vote.Leader == leader && _voterSet.Contains(voter))
            {
                count++;
            }
        }

        return count;
    }

    private int CountOutOfElectionFor(int leader)
    {
        var count = 0;
        foreach (var (voter, s) in _outOfElection)
        {
            if (s.Leader == leader && _voterSet.Contains(voter))
            {
                count++;
            }
        }

        return count;
    }

    private bool VoteHasQuorum()
    {
        var count = 0;
        foreach (var (voter, vote) in _received)
        {
            if (vote == _vote && _voterSet.Contains(voter))
            {
                count++;
            }
        }

        return count >= _quorum;
    }

    private void CheckVoteQuorum()
    {
        if (_isObserver || _finalizeAt >= 0 || !VoteHasQuorum())
        {
            return;
        }

        if (_options.FinalizeWaitTicks == 0)
        {
            Decide(_vote.Leader, _round);
        }
        else
        {
            _finalizeAt = _now + _options.FinalizeWaitTicks;
        }
    }

    /// <param name="leader">The server to lead or follow.</param>
    /// <param name="leaderRound">The leader's election round: its later looking notifications mean it gave up.</param>
    private void Decide(int leader, long leaderRound)
    {
        _leaderRound = leaderRound;
        if (leader == _id)
        {
            BecomeLeader();
        }
        else
        {
            BecomeFollower(leader);
        }
    }
}
