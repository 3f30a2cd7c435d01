using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests;

public sealed class EpochTests
{
    [Fact]
    public void The_leader_proposes_one_more_than_the_highest_accepted_epoch_of_its_quorum_and_persists_it_first()
    {
        var d = Leader(3, new EpochState(2, 3, 3));

        var outputs = d.Receive(1, new FollowerInfo(11, AcceptedEpoch: 6, AcceptedLeaderId: 2, CurrentEpoch: 2, LastZxid: 0, IsObserver: false));

        var persist = Assert.Single(outputs.OfType<PersistEpochs>());
        Assert.Equal(new EpochState(2, 7, 3), persist.Epochs);
        var newEpoch = Assert.Single(CoreDriver.Sent<NewEpoch>(outputs, 1));
        Assert.Equal((7L, 11L), (newEpoch.Epoch, newEpoch.Session));
        Assert.True(outputs.IndexOf(persist) < outputs.FindIndex(o => o is SendMessage { Message: NewEpoch }));
    }

    [Fact]
    public void An_observers_accepted_epoch_does_not_count()
    {
        var d = Leader(3, new EpochState(0, 0, -1), observers: 1);

        var outputs = d.Receive(4, new FollowerInfo(1, AcceptedEpoch: 50, AcceptedLeaderId: 1, CurrentEpoch: 0, LastZxid: 0, IsObserver: true));
        Assert.Empty(outputs.OfType<PersistEpochs>()); // an observer is no quorum either
        outputs = d.Receive(2, new FollowerInfo(2, AcceptedEpoch: 4, AcceptedLeaderId: 2, CurrentEpoch: 0, LastZxid: 0, IsObserver: false));

        Assert.Equal(5, Assert.Single(outputs.OfType<PersistEpochs>()).Epochs.AcceptedEpoch);
    }

    [Fact]
    public void A_follower_acknowledges_the_epoch_only_once_it_is_durable()
    {
        var d = new CoreDriver(1);
        var info = d.Follow(3, 2);

        var outputs = d.Receive(3, new NewEpoch(4, info.Session));
        Assert.Equal(new EpochState(0, 4, 3), Assert.Single(outputs.OfType<PersistEpochs>()).Epochs);
        Assert.Empty(CoreDriver.Sent<AckEpoch>(outputs));

        outputs = d.Do(c => c.EpochPersisted(new EpochState(0, 4, 3)));
        var ack = Assert.Single(CoreDriver.Sent<AckEpoch>(outputs, 3));
        Assert.Equal((4L, info.Session, 0L), (ack.Epoch, ack.Session, ack.CurrentEpoch));
    }

    [Fact]
    public void A_follower_refuses_an_epoch_older_than_the_one_it_accepted()
    {
        var d = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(3, 5, 2) });
        var info = d.Follow(3, 2);
        Assert.Equal(5, info.AcceptedEpoch);

        var outputs = d.Receive(3, new NewEpoch(4, info.Session));

        Assert.Empty(CoreDriver.Sent<AckEpoch>(outputs));
        Assert.Empty(outputs.OfType<PersistEpochs>());
        Assert.Equal(ReplicaRole.Looking, d.Core.Role);
    }

    [Fact]
    public void A_follower_acknowledges_an_epoch_for_one_leader_only_even_across_restarts()
    {
        // Server 1 accepted epoch 5 from leader 2 (durably) before restarting; leader 3 now proposes the same epoch.
        var d = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(3, 5, 2) });
        var info = d.Follow(3, 2);
        var outputs = d.Receive(3, new NewEpoch(5, info.Session));
        Assert.Empty(CoreDriver.Sent<AckEpoch>(outputs));
        Assert.Equal(ReplicaRole.Looking, d.Core.Role);

        // The same epoch from the leader that proposed it is acknowledged at once (a rejoin after a restart).
        var again = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(3, 5, 3) });
        info = again.Follow(3, 2);
        outputs = again.Receive(3, new NewEpoch(5, info.Session));
        Assert.Empty(outputs.OfType<PersistEpochs>());
        Assert.Single(CoreDriver.Sent<AckEpoch>(outputs, 3));
    }

    [Fact]
    public void The_leader_steps_down_when_a_voter_of_its_epoch_quorum_is_ahead_of_it()
    {
        var d = Leader(3, new EpochState(1, 1, 3), [.. CoreDriver.Records(1, 1, 3)]);
        d.Receive(1, new FollowerInfo(21, 1, 3, 1, Zxid.Make(1, 5), false));
        d.Do(c => c.EpochPersisted(new EpochState(1, 2, 3)));

        // Same epoch, longer log: server 1 may hold commits server 3 lacks.
        d.Receive(1, new AckEpoch(2, 21, CurrentEpoch: 1, LastZxid: Zxid.Make(1, 5)));

        Assert.Equal(ReplicaRole.Looking, d.Core.Role);
    }

    [Fact]
    public void A_voter_that_can_never_join_this_epoch_makes_an_established_leader_step_down()
    {
        var c = new Simulation.ScriptedCluster(3);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        var epoch = c.Core(3).Epoch;

        // Server 1 restarts having accepted (durably) the same epoch from another leader that never got established.
        c.Crash(1);
        c[1].Disk.Preload(new EpochState(epoch - 1, epoch, 2), [.. c[1].Disk.Log]);
        c.Restart(1);
        c.RunUntil(() => c.AllServing(1, 2, 3) && c.Core(1).Epoch > epoch);

        Assert.True(c.Core(c.Leader()).Epoch > epoch);
    }

    /// <summary>A core that won the election (votes from server 1) and waits for followers in discovery.</summary>
    private static CoreDriver Leader(int id, EpochState epochs, List<LogEntry>? log = null, int observers = 0)
    {
        var d = new CoreDriver(id, observers: observers, state: new ReplicaDurableState { Epochs = epochs, Log = log ?? [] });
        var vote = d.Core.CurrentVote;
        d.Receive(1, new Notification(d.Core.ElectionRound, id, vote.Epoch, vote.Zxid, PeerState.Looking));
        d.Do(c => c.Tick());
        Assert.Equal(ReplicaRole.Leading, d.Core.Role);
        return d;
    }
}
