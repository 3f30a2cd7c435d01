using Orleans.Coordination.Consensus.Messages;
using Orleans.Coordination.Consensus.Tests.Simulation;

namespace Orleans.Coordination.Consensus.Tests;

public sealed class ElectionTests
{
    [Fact]
    public void Votes_order_by_epoch_then_zxid_then_server_id()
    {
        var newerEpoch = new Vote(1, Epoch: 3, Zxid: Zxid.Make(2, 1));
        var longerLog = new Vote(2, Epoch: 2, Zxid: Zxid.Make(2, 900));
        var higherId = new Vote(9, Epoch: 2, Zxid: Zxid.Make(2, 5));
        var lowerId = new Vote(4, Epoch: 2, Zxid: Zxid.Make(2, 5));

        Assert.True(newerEpoch.IsBetterThan(longerLog));
        Assert.True(longerLog.IsBetterThan(higherId));
        Assert.True(higherId.IsBetterThan(lowerId));
        Assert.False(lowerId.IsBetterThan(lowerId));
        Assert.Equal([lowerId, higherId, longerLog, newerEpoch], new[] { newerEpoch, higherId, lowerId, longerLog }.Order());
    }

    [Fact]
    public void A_fresh_ensemble_elects_the_highest_id_and_every_server_serves()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();

        c.RunUntil(() => c.AllServing(1, 2, 3));

        Assert.Equal(3, c.Leader());
        Assert.All(new[] { 1, 2 }, id => Assert.Equal(ReplicaRole.Following, c.Core(id).Role));
        Assert.All(new[] { 1, 2, 3 }, id => Assert.Equal(1, c.Core(id).Epoch));
    }

    [Fact]
    public void The_server_with_the_most_recent_history_wins()
    {
        var c = new ScriptedCluster(3);
        c[1].Disk.Preload(new EpochState(2, 2, 3), [.. CoreDriver.Records(1, 1, 4), .. CoreDriver.Records(2, 1, 5)]);
        c[2].Disk.Preload(new EpochState(2, 2, 3), [.. CoreDriver.Records(1, 1, 4), .. CoreDriver.Records(2, 1, 3)]);
        c[3].Disk.Preload(new EpochState(1, 1, 1), CoreDriver.Records(1, 1, 9)); // longer log, but an older epoch
        c.StartAll();

        c.RunUntil(() => c.AllServing(1, 2, 3));

        Assert.Equal(1, c.Leader());
        Assert.Equal(3, c.Core(1).Epoch); // 1 + the highest acceptedEpoch of the quorum
        // Server 3's epoch-1 tail (1:5..1:9) never committed in the new history: it was truncated away.
        Assert.Equal(Zxid.Make(2, 5), c.Core(3).LastLoggedZxid);
        Assert.Equal(c[1].Applied, c[3].Applied);
    }

    [Fact]
    public void An_observer_never_leads_even_with_the_longest_log_and_still_replicates()
    {
        var c = new ScriptedCluster(voters: 2, observers: 1);
        c[3].Disk.Preload(new EpochState(1, 1, 1), CoreDriver.Records(1, 1, 9));
        c[1].Disk.Preload(new EpochState(1, 1, 1), CoreDriver.Records(1, 1, 2));
        c.StartAll();

        c.RunUntil(() => c.AllServing(1, 2, 3));
        c.Write(100);
        c.RunUntil(() => c[3].Applied.Count == 3);

        Assert.Equal(1, c.Leader()); // the voter with the longer log, although the observer's is longer still
        Assert.Equal(ReplicaRole.Observing, c.Core(3).Role);
        Assert.Equal(Zxid.Make(2, 1), c.Core(3).LastLoggedZxid); // its unreplicated 1:3..1:9 were truncated
        Assert.Equal(c[2].Applied, c[3].Applied);
        Assert.All(c.Outputs(3), o => Assert.False(o is SendMessage { Message: Notification { State: PeerState.Looking } }));
    }

    [Fact]
    public void A_single_voter_ensemble_leads_and_commits_alone()
    {
        var c = new ScriptedCluster(1);
        c.StartAll();

        c.RunUntil(() => c.AllServing(1));
        var zxid = c.Write(7);

        Assert.Equal(Zxid.Make(1, 1), zxid);
        Assert.Equal([(zxid, 7L)], c[1].Applied);
    }

    [Fact]
    public void No_leader_serves_without_a_quorum()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();
        c.Crash(2);
        c.Crash(3);

        c.Tick(60);
        c.Deliver();

        Assert.False(c.Core(1).IsServing);
        Assert.NotEqual(ReplicaRole.Following, c.Core(1).Role);
        Assert.Equal(ProposeRejection.NotLeader, c.Core(1).Propose([1]).Rejection);
    }

    [Fact]
    public void A_restarted_server_joins_the_established_leader_in_the_same_epoch()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        c.Write(1);
        c.Crash(1);
        c.Write(2);

        c.Restart(1);
        c.RunUntil(() => c.AllServing(1) && c[1].Applied.Count == 2);

        Assert.Equal(1, c.Core(1).Epoch);
        Assert.Equal(3, c.Leader());
        Assert.Equal(c[3].Applied, c[1].Applied);
    }

    [Fact]
    public void A_server_in_an_older_round_adopts_the_newer_round_and_its_best_vote()
    {
        var d = new CoreDriver(1);
        Assert.Equal(1, d.Core.ElectionRound);

        var outputs = d.Receive(2, new Notification(5, 3, 4, Zxid.Make(4, 2), PeerState.Looking));

        Assert.Equal(5, d.Core.ElectionRound);
        Assert.Equal(new Vote(3, 4, Zxid.Make(4, 2)), d.Core.CurrentVote);
        // It tells every other voter its new vote.
        Assert.Equal(2, CoreDriver.Sent<Notification>(outputs).Count(n => n.Round == 5 && n.ProposedLeader == 3));
    }

    [Fact]
    public void A_server_answers_a_lagging_round_with_its_current_vote()
    {
        var d = new CoreDriver(1);
        d.Receive(2, new Notification(5, 2, 0, 0, PeerState.Looking));

        var outputs = d.Receive(3, new Notification(1, 3, 0, 0, PeerState.Looking));

        var answer = Assert.Single(CoreDriver.Sent<Notification>(outputs, 3));
        Assert.Equal(5, answer.Round);
    }

    [Fact]
    public void Following_servers_tell_a_looking_server_who_leads()
    {
        var d = new CoreDriver(1);
        d.Follow(3, 2);

        var outputs = d.Receive(2, new Notification(9, 2, 0, 0, PeerState.Looking));

        var answer = Assert.Single(CoreDriver.Sent<Notification>(outputs, 2));
        Assert.Equal((3, PeerState.Following), (answer.ProposedLeader, answer.State));
    }

    [Fact]
    public void A_follower_abandons_a_leader_that_starts_a_newer_election()
    {
        var d = new CoreDriver(1);
        d.Follow(3, 2);
        Assert.Equal(ReplicaRole.Following, d.Core.Role);

        d.Receive(3, new Notification(1, 3, 0, 0, PeerState.Looking)); // stale: the round it led in
        Assert.Equal(ReplicaRole.Following, d.Core.Role);
        d.Receive(3, new Notification(2, 3, 0, 0, PeerState.Looking));

        Assert.Equal(ReplicaRole.Looking, d.Core.Role);
    }

    [Fact]
    public void A_follower_that_loses_its_connection_to_the_leader_elects_at_once()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        var epoch = c.Core(1).Epoch;

        // A follower's connection to another follower closing changes nothing.
        c.Core(1).PeerDisconnected(2);
        Assert.Equal(ReplicaRole.Following, c.Core(1).Role);

        c.Crash(3);
        c.Core(1).PeerDisconnected(3);
        c.Core(2).PeerDisconnected(3);
        Assert.Equal(ReplicaRole.Looking, c.Core(1).Role);
        Assert.Equal(ReplicaRole.Looking, c.Core(2).Role);

        // Fewer ticks than the follower timeout (SyncLimitTicks) would have needed just to notice.
        c.RunUntil(() => c.AllServing(1, 2), maxTicks: 4);
        Assert.Equal(2, c.Leader());
        Assert.True(c.Core(1).Epoch > epoch);
    }
}
