using Orleans.Coordination.Consensus.Messages;
using Orleans.Coordination.Consensus.Tests.Simulation;

namespace Orleans.Coordination.Consensus.Tests;

/// <summary>
/// ZooKeeper's recorded data-loss bugs in discovery and synchronisation, replayed as scripts. Each one is a sequence
/// that lost committed transactions in some ZooKeeper version; here the sequence must end with nothing lost.
/// </summary>
public sealed class ZooKeeperBugScenarioTests
{
    private static readonly Func<DiskOp, bool> OnlyEpochWrites = op => op is EpochOp;

    /// <summary>
    /// ZOOKEEPER-3911 / 4646 / 3023 / 4394: the follower acknowledged NEWLEADER before the DIFF's records were on
    /// disk, and ZOOKEEPER-4643: it wrote currentEpoch before them. Here the ack waits for durability, and the
    /// epoch write is only requested once the records are durable.
    /// </summary>
    [Fact]
    public void Newleader_is_acknowledged_only_after_the_synced_records_and_then_the_epoch_are_durable()
    {
        var d = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(1, 1, 3), Log = CoreDriver.Records(1, 1, 2) });
        var session = d.AcceptEpoch(3, 2, 2);

        var outputs = d.Receive(3, new Diff(2, session, Zxid.Make(1, 2), CoreDriver.Records(1, 3, 5)));
        Assert.Equal(3, Assert.Single(outputs.OfType<AppendToLog>()).Entries.Count);
        outputs.AddRange(d.Receive(3, new NewLeader(2, session, Zxid.Make(1, 5))));
        outputs.AddRange(d.Do(c => c.Persisted(Zxid.Make(1, 4))));
        Assert.Empty(CoreDriver.Sent<AckNewLeader>(outputs));
        Assert.DoesNotContain(outputs, o => o is PersistEpochs p && p.Epochs.CurrentEpoch == 2);

        outputs = d.Do(c => c.Persisted(Zxid.Make(1, 5)));
        Assert.Equal(new EpochState(2, 2, 3), Assert.Single(outputs.OfType<PersistEpochs>()).Epochs);
        Assert.Empty(CoreDriver.Sent<AckNewLeader>(outputs));

        outputs = d.Do(c => c.EpochPersisted(new EpochState(2, 2, 3)));
        var ack = Assert.Single(CoreDriver.Sent<AckNewLeader>(outputs, 3));
        Assert.Equal(Zxid.Make(1, 5), ack.LastZxid);
    }

    /// <summary>
    /// ZOOKEEPER-3911 end to end: the new leader's history has records the followers lack (1:4..1:6). In the bug the
    /// followers acked NEWLEADER with those records in memory only, the leader committed them, every server crashed,
    /// and the followers came back without them: committed data gone. Here nothing commits until a quorum has them
    /// durable, and once it has, they survive the same crash.
    /// </summary>
    [Fact]
    public void Diff_records_commit_only_once_durable_on_a_quorum_and_then_survive_a_crash_of_everyone()
    {
        var c = HistoryAheadOnServer3();
        c.FlushFilter[1] = OnlyEpochWrites;
        c.FlushFilter[2] = OnlyEpochWrites;
        c.StartAll(autoFlush: false);
        c.AutoFlush.Add(3);
        c.RunUntil(() => c[1].Disk.Pending.Any(op => op is AppendOp) && c[2].Disk.Pending.Any(op => op is AppendOp));

        Assert.Equal(ReplicaRole.Leading, c.Core(3).Role);
        Assert.False(c.Core(3).IsServing);
        Assert.All(c.Cluster.Nodes, n => Assert.DoesNotContain(n.Applied, a => a.Zxid >= Zxid.Make(1, 4)));
        Assert.DoesNotContain(c.Cluster.OutputLog, o => o.Output is SendMessage { Message: AckNewLeader });

        // Everyone crashes; the followers lose what they had not flushed. Nothing committed was lost: nothing was.
        foreach (var id in new[] { 1, 2, 3 })
        {
            c.Crash(id);
        }

        c.FlushFilter.Clear();
        c.AutoFlush.UnionWith([1, 2]);
        c.Restart(1);
        c.Restart(2);
        c.RunUntil(() => c.AllServing(1, 2));
        Assert.Equal(3, c[1].Applied.Count);

        // Same start, but server 1 flushes: the records commit, and survive everyone crashing.
        c = HistoryAheadOnServer3();
        c.FlushFilter[2] = OnlyEpochWrites;
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 3));
        Assert.Contains(c[3].Applied, a => a.Zxid == Zxid.Make(1, 6));
        foreach (var id in new[] { 1, 2, 3 })
        {
            c.Crash(id);
        }

        c.FlushFilter.Clear();
        c.Restart(1);
        c.Restart(2);
        c.RunUntil(() => c.AllServing(1, 2) && c[2].Applied.Count == 6);
        Assert.Equal(Zxid.Make(1, 6), c[2].Applied[^1].Zxid);
        c.Cluster.Checker.CheckAckedDurable(c.Cluster.Nodes);
    }

    /// <summary>
    /// ZOOKEEPER-4643: a follower persisted currentEpoch = e and crashed before the synced records reached disk; it
    /// came back claiming epoch e with a short log, could win an election and TRUNC committed records elsewhere.
    /// Here a crash at any point of the sync leaves currentEpoch at its old value unless the records are durable.
    /// </summary>
    [Fact]
    public void A_crash_during_sync_never_leaves_the_new_current_epoch_without_the_synced_records()
    {
        var c = HistoryAheadOnServer3();
        c.FlushFilter[1] = OnlyEpochWrites;
        c.StartAll();
        c.RunUntil(() => c.AllServing(2, 3));
        c.Deliver();

        // Server 1 holds the DIFF's records unflushed; no currentEpoch write may be queued behind or before them.
        Assert.Contains(c[1].Disk.Pending, op => op is AppendOp);
        Assert.DoesNotContain(c[1].Disk.Pending, op => op is EpochOp e && e.Epochs.CurrentEpoch == 2);
        Assert.Equal(1, c[1].Disk.Epochs.CurrentEpoch);

        c.Crash(1);
        Assert.Equal(1, c[1].Disk.Epochs.CurrentEpoch);
        Assert.Equal(Zxid.Make(1, 3), c[1].Disk.Log[^1].Zxid);

        // Restarted, it votes with the old epoch: (1, 1:3) loses to (2, 1:6), so it cannot truncate anyone.
        c.FlushFilter.Clear();
        c.Restart(1);
        var vote = c.Core(1).CurrentVote;
        Assert.Equal((1L, Zxid.Make(1, 3)), (vote.Epoch, vote.Zxid));
        c.RunUntil(() => c.AllServing(1, 2, 3) && c[1].Applied.Count == 6);
        Assert.Equal(c[3].Applied, c[1].Applied);
    }

    /// <summary>
    /// ZOOKEEPER-3642 (and 3104): the leader crashed after sending SNAP, before NEWLEADER; the follower had loaded the
    /// snapshot in memory only but advanced its last zxid to it, then synced by DIFF from there and lost the
    /// snapshot's data on its next restart. Here the follower's log stays behind the snapshot until the snapshot is
    /// durable, and a crash before that leaves it reporting its old position.
    /// </summary>
    [Fact]
    public void A_crash_between_snap_and_newleader_leaves_no_gap_and_loses_nothing()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        WriteMany(c, 1, 5);
        c.Crash(1);
        WriteMany(c, 6, 10);
        c.Cluster.LocalSnapshot(c[3], compact: true); // the leader keeps no records up to 1:a: server 1 needs a SNAP
        WriteMany(c, 11, 12);
        Assert.Equal(Zxid.Make(1, 10), c.Core(3).SnapshotZxid);

        c.ServeDiskSnapshots = true; // the snapshot at 1:a, followed by the records 1:b and 1:c
        c.FlushFilter[1] = OnlyEpochWrites;
        c.Restart(1);
        var mark = c.OutputMark;
        c.RunUntil(() => c.Outputs(1, mark).Any(o => o is InstallSnapshot));

        // Snapshot requested, nothing appended after it before it is durable, and no NEWLEADER ack.
        var outputs = c.Outputs(1, mark);
        var install = outputs.FindIndex(o => o is InstallSnapshot);
        Assert.Equal(Zxid.Make(1, 10), ((InstallSnapshot)outputs[install]).Zxid);
        Assert.DoesNotContain(outputs.Skip(install), o => o is AppendToLog);
        Assert.Equal(Zxid.Make(1, 12), c.Core(1).LastLoggedZxid); // held in memory until the snapshot is durable
        Assert.DoesNotContain(outputs, o => o is SendMessage { Message: AckNewLeader });

        // Crash before the snapshot reached disk: server 1 is back to its old durable state, and says so.
        c.Crash(1);
        Assert.Equal(0, c[1].Disk.SnapshotZxid);
        mark = c.OutputMark;
        c.Restart(1);
        c.RunUntil(() => c.Outputs(1, mark).Any(o => o is SendMessage { Message: FollowerInfo }));
        var info = c.Outputs(1, mark).OfType<SendMessage>().Select(s => s.Message).OfType<FollowerInfo>().First();
        Assert.Equal(Zxid.Make(1, 5), info.LastZxid);

        // Now the snapshot is durable but the records after it are not, and server 1 crashes again.
        c.FlushFilter[1] = op => op is EpochOp or InstallOp or TruncateOp;
        mark = c.OutputMark;
        c.RunUntil(() => c.Outputs(1, mark).Any(o => o is AppendToLog));
        c.Crash(1);
        Assert.Equal(Zxid.Make(1, 10), c[1].Disk.SnapshotZxid);

        // It restarts from the snapshot: its log continues from 1:a, no gap, and it catches up by DIFF.
        c.FlushFilter.Clear();
        c.Restart(1);
        Assert.Equal(Zxid.Make(1, 10), c.Core(1).LastLoggedZxid);
        c.RunUntil(() => c.AllServing(1, 2, 3) && c[1].Applied.Count == 12);
        Assert.Equal(c[3].Applied, c[1].Applied);
        _ = new ReplicaCore(c.Cluster.Options(1), c[1].Disk.LoadState(99)); // loads: no gap
    }

    /// <summary>
    /// ZOOKEEPER-2678 / 3023 / 4925 family: logs with holes. A follower that misses a proposal must not append the
    /// next one after a gap; it asks for a resend instead.
    /// </summary>
    [Fact]
    public void A_follower_never_appends_across_a_gap_and_asks_for_a_resend()
    {
        var d = SyncedFollower(out _);

        var outputs = d.Receive(3, new Proposal(2, Zxid.Make(2, 1), CoreDriver.Records(2, 2, 2), 0));
        Assert.Empty(outputs.OfType<AppendToLog>());
        Assert.Equal(Zxid.Make(1, 2), Assert.Single(CoreDriver.Sent<Nack>(outputs, 3)).LastZxid);

        outputs = d.Receive(3, new Proposal(2, Zxid.Make(1, 2), CoreDriver.Records(2, 1, 2), 0));
        Assert.Equal([Zxid.Make(2, 1), Zxid.Make(2, 2)], Assert.Single(outputs.OfType<AppendToLog>()).Entries.Select(e => e.Zxid));
    }

    [Fact]
    public void A_synchronisation_with_a_hole_in_it_is_refused()
    {
        var d = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(1, 1, 3), Log = CoreDriver.Records(1, 1, 2) });
        var session = d.AcceptEpoch(3, 2, 2);

        var outputs = d.Receive(3, new Diff(2, session, Zxid.Make(1, 2), [new LogEntry(Zxid.Make(1, 3), [1]), new LogEntry(Zxid.Make(1, 5), [2])]));

        Assert.DoesNotContain(outputs.OfType<AppendToLog>().SelectMany(a => a.Entries), e => e.Zxid == Zxid.Make(1, 5));
        Assert.Equal(1, d.Core.ProtocolViolations);
        Assert.Equal(ReplicaRole.Looking, d.Core.Role);
    }

    [Fact]
    public void A_log_with_a_hole_is_refused_at_startup()
    {
        var options = new ReplicaOptions { ServerId = 1, Members = [new EnsembleMember(1, MemberRole.Voter)] };
        var state = new ReplicaDurableState { Log = [new LogEntry(Zxid.Make(1, 1), []), new LogEntry(Zxid.Make(1, 3), [])] };

        var e = Assert.Throws<ArgumentException>(() => new ReplicaCore(options, state));
        Assert.Contains("gap", e.Message);
    }

    [Fact]
    public void A_trunc_to_a_zxid_the_follower_lacks_becomes_a_snapshot_request()
    {
        var d = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(1, 1, 3), Log = CoreDriver.Records(1, 1, 2) });
        var session = d.AcceptEpoch(3, 2, 2);

        var outputs = d.Receive(3, new Trunc(2, session, Zxid.Make(1, 7), CoreDriver.Records(1, 8, 8)));

        Assert.Single(CoreDriver.Sent<SnapNeeded>(outputs, 3));
        Assert.Empty(outputs.OfType<TruncateLog>());
        Assert.Empty(outputs.OfType<AppendToLog>());
    }

    [Fact]
    public void A_trunc_below_the_commit_point_is_refused()
    {
        var d = new CoreDriver(1, state: new ReplicaDurableState
        {
            Epochs = new EpochState(1, 1, 3),
            Log = CoreDriver.Records(1, 1, 4),
            CommittedZxid = Zxid.Make(1, 3),
        });
        var session = d.AcceptEpoch(3, 2, 2);

        var outputs = d.Receive(3, new Trunc(2, session, Zxid.Make(1, 1), []));

        Assert.Empty(outputs.OfType<TruncateLog>());
        Assert.Equal(1, d.Core.ProtocolViolations);
        Assert.Equal(Zxid.Make(1, 4), d.Core.LastLoggedZxid);
    }

    [Fact]
    public void Lost_proposals_are_resent_and_the_follower_log_stays_gap_free()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        WriteMany(c, 1, 3);

        c.Write(4);
        c.Drop((from, to, m) => to == 1 && m is Proposal); // 1:4 never reaches server 1
        WriteMany(c, 5, 6);
        c.RunUntil(() => c[1].Applied.Count == 6, maxTicks: 20);

        Assert.Equal(c[3].Applied, c[1].Applied);
        Assert.Contains(c.Cluster.OutputLog, o => o.Node == 1 && o.Output is SendMessage { Message: Nack });
        _ = new ReplicaCore(c.Cluster.Options(1), c[1].Disk.LoadState(99));
    }

    /// <summary>An old leader's uncommitted proposals are truncated when it rejoins, and only those.</summary>
    [Fact]
    public void An_old_leaders_uncommitted_tail_is_truncated_when_it_rejoins()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        WriteMany(c, 1, 3);

        // The leader is cut off; its next proposals reach nobody and never commit.
        c.Cut.UnionWith([(3, 1), (3, 2), (1, 3), (2, 3)]);
        c.Write(4);
        c.Write(5);
        c.Deliver();
        c.RunUntil(() => c.AllServing(1, 2) && c.Core(2).Role == ReplicaRole.Leading);
        c.Cluster.Propose(c[2], 6);
        c.RunUntil(() => c[1].Applied.Count == 4);

        c.Cut.Clear();
        c.RunUntil(() => c.AllServing(1, 2, 3) && c[3].Applied.Count == 4);

        Assert.Equal(c[2].Applied, c[3].Applied);
        Assert.DoesNotContain(c[3].Applied, a => a.Id is 4 or 5);
        Assert.Contains(c.Cluster.OutputLog, o => o.Node == 3 && o.Output is TruncateLog);
    }

    private static ScriptedCluster HistoryAheadOnServer3()
    {
        var c = new ScriptedCluster(3);
        c[1].Disk.Preload(new EpochState(1, 1, 3), CoreDriver.Records(1, 1, 3));
        c[2].Disk.Preload(new EpochState(1, 1, 3), CoreDriver.Records(1, 1, 3));
        c[3].Disk.Preload(new EpochState(1, 1, 3), CoreDriver.Records(1, 1, 6));
        return c;
    }

    private static void WriteMany(ScriptedCluster c, long from, long to)
    {
        for (var id = from; id <= to; id++)
        {
            c.Write(id);
            c.Deliver();
        }
    }

    /// <summary>A follower of leader 3 in epoch 2, in broadcast, whose log ends at 1:2.</summary>
    private static CoreDriver SyncedFollower(out long session)
    {
        var d = new CoreDriver(1, state: new ReplicaDurableState { Epochs = new EpochState(1, 1, 3), Log = CoreDriver.Records(1, 1, 2) });
        session = d.AcceptEpoch(3, 2, 2);
        d.Receive(3, new Diff(2, session, Zxid.Make(1, 2), []));
        var outputs = d.Receive(3, new NewLeader(2, session, Zxid.Make(1, 2)));
        foreach (var p in outputs.OfType<PersistEpochs>().ToList())
        {
            outputs.AddRange(d.Do(c => c.EpochPersisted(p.Epochs)));
        }

        Assert.Single(CoreDriver.Sent<AckNewLeader>(outputs, 3));
        d.Receive(3, new Commit(2, Zxid.Make(1, 2)));
        Assert.True(d.Core.IsServing);
        return d;
    }
}
