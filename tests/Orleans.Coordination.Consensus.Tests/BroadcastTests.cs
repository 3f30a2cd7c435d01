using System.Buffers.Binary;
using Orleans.Coordination.Consensus.Messages;
using Orleans.Coordination.Consensus.Tests.Simulation;

namespace Orleans.Coordination.Consensus.Tests;

public sealed class BroadcastTests
{
    private static readonly Func<DiskOp, bool> OnlyEpochWrites = op => op is EpochOp;

    [Fact]
    public void A_write_commits_only_once_durable_on_a_quorum_of_voters()
    {
        var c = Established(3);
        c.FlushFilter[1] = OnlyEpochWrites;
        c.FlushFilter[2] = OnlyEpochWrites;

        var zxid = c.Write(1);
        c.Deliver();
        c.Tick(2);
        c.Deliver();

        Assert.Equal(Zxid.Make(1, 1), zxid);
        Assert.Equal(Zxid.Make(1, 1), c.Core(3).DurableZxid); // the leader alone is no quorum
        Assert.All(c.Cluster.Nodes, n => Assert.Empty(n.Applied));

        c.Flush(1);
        c.Deliver();

        Assert.Equal([(zxid, 1L)], c[3].Applied);
        Assert.Equal(zxid, c.Core(3).CommittedZxid);
    }

    [Fact]
    public void The_leaders_own_copy_counts_only_once_it_is_durable()
    {
        var c = Established(3);
        c.FlushFilter[3] = OnlyEpochWrites;
        c.FlushFilter[2] = OnlyEpochWrites;

        c.Write(1);
        c.Deliver();
        Assert.Empty(c[3].Applied); // server 1 has it durable, the leader not yet: one copy

        c.Flush(3);
        c.Deliver();
        Assert.Single(c[3].Applied);
    }

    [Fact]
    public void Every_server_applies_commits_in_zxid_order_and_batches_proposals()
    {
        var c = Established(5);
        c.Cluster.Input(c[5], core =>
        {
            // 50 proposals before the shell drains the outputs: they leave in batches of MaxRecordsPerMessage (8).
            for (var id = 1; id <= 50; id++)
            {
                Assert.True(core.Propose(SimCluster.Payload(id)).Accepted);
            }
        });

        var batches = c.InFlight.Where(m => m.To == 1).Select(m => m.Message).OfType<Proposal>().ToList();
        Assert.Equal(7, batches.Count);
        Assert.Equal(50, batches.Sum(b => b.Records.Count));
        Assert.Single(c.Outputs(5).OfType<AppendToLog>(), a => a.Entries.Count == 50); // one log write too
        c.RunUntil(() => c.Cluster.Nodes.All(n => n.Applied.Count == 50));

        foreach (var node in c.Cluster.Nodes)
        {
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (Zxid.Make(1, i), (long)i)), node.Applied);
        }
    }

    [Fact]
    public void Proposals_are_split_by_payload_bytes_so_each_message_stays_off_the_large_object_heap()
    {
        var c = Established(3);
        c.Cluster.Input(c[3], core =>
        {
            // Ten 20 KB records (three fit in the default 64 KiB), then one of 100 KB, which travels alone.
            for (var id = 1; id <= 11; id++)
            {
                var payload = new byte[id <= 10 ? 20_000 : 100_000];
                BinaryPrimitives.WriteInt64BigEndian(payload, id);
                Assert.True(core.Propose(payload).Accepted);
            }
        });

        var batches = c.InFlight.Where(m => m.To == 1).Select(m => m.Message).OfType<Proposal>().ToList();
        Assert.Equal([3, 3, 3, 1, 1], batches.Select(b => b.Records.Count));
        Assert.All(batches.SkipLast(1), b => Assert.InRange(MessageCodec.Encode(b).Length, 1, 84_999));
        c.RunUntil(() => c.Cluster.Nodes.All(n => n.Applied.Count == 11));
        foreach (var node in c.Cluster.Nodes)
        {
            Assert.Equal(Enumerable.Range(1, 11).Select(i => (Zxid.Make(1, i), (long)i)), node.Applied);
        }
    }

    [Fact]
    public void A_follower_within_commitLogCount_catches_up_by_diff_and_one_further_behind_by_snapshot()
    {
        var c = new ScriptedCluster(3, commitLogCount: 5);
        c.StartAll();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        var leader = c.Leader();
        var follower = leader == 1 ? 2 : 1;

        // Three writes missed: the leader still holds them, so the follower gets them as a DIFF.
        c.Crash(follower);
        WriteAndDeliver(c, 1, 3);
        var mark = c.OutputMark;
        c.Restart(follower);
        c.RunUntil(() => c.AllServing(1, 2, 3) && c[follower].Applied.Count == 3);
        Assert.Contains(c.Outputs(leader, mark), o => o is SendMessage { Message: Diff } s && s.To == follower);
        Assert.DoesNotContain(c.Outputs(follower, mark), o => o is InstallSnapshot);

        // Thirty more: every server keeps only the newest applied records (between 5 and 10 of them), so the leader
        // no longer has what the follower lacks and sends a snapshot.
        c.Crash(follower);
        WriteAndDeliver(c, 4, 33);
        Assert.InRange(c.Core(leader).SnapshotZxid, Zxid.Make(1, 23), Zxid.Make(1, 28));
        mark = c.OutputMark;
        c.Restart(follower);
        c.RunUntil(() => c.AllServing(1, 2, 3) && c[follower].Applied.Count == 33);
        Assert.Contains(c.Outputs(follower, mark), o => o is InstallSnapshot);
        Assert.Equal(c[leader].Applied, c[follower].Applied);
        Assert.Equal(Enumerable.Range(1, 33).Select(i => (long)i), c[follower].Applied.Select(a => a.Id));
    }

    [Fact]
    public void Observers_receive_only_committed_records()
    {
        var c = Established(voters: 3, observers: 1);
        c.FlushFilter[1] = OnlyEpochWrites;
        c.FlushFilter[2] = OnlyEpochWrites;
        var mark = c.OutputMark;

        c.Write(1);
        c.Deliver();
        Assert.DoesNotContain(c.Outputs(4, mark), o => o is AppendToLog);
        Assert.DoesNotContain(c.InFlight, m => m.To == 4 && m.Message is Proposal);

        c.Flush(1);
        c.Deliver();
        c.Flush(4);
        Assert.Single(c[4].Applied);
        Assert.Contains(c.Cluster.OutputLog, o => o.Node == 3 && o.Output is SendMessage { To: 4, Message: Inform });
    }

    [Fact]
    public void The_leader_tells_which_zxid_the_next_proposal_gets()
    {
        var c = Established(3);
        var leader = c.Core(3);

        Assert.Equal(0, c.Core(1).NextProposalZxid);
        Assert.Equal(Zxid.Make(1, 1), leader.NextProposalZxid);
        Assert.Equal(Zxid.Make(1, 1), c.Write(1));
        Assert.Equal(Zxid.Make(1, 2), leader.NextProposalZxid);
    }

    [Fact]
    public void Propose_is_refused_by_followers_with_the_leaders_id()
    {
        var c = Established(3);

        var result = c.Core(1).Propose([1]);

        Assert.False(result.Accepted);
        Assert.Equal((ProposeRejection.NotLeader, 3), (result.Rejection, result.LeaderId));
    }

    [Fact]
    public void A_leader_that_cannot_hear_a_quorum_steps_down_and_stops_serving()
    {
        var c = Established(3);
        c.Crash(1);
        c.Crash(2);
        var mark = c.OutputMark;

        c.Tick(c.Cluster.Options(3).SyncLimitTicks + 1);

        Assert.Contains(c.Outputs(3, mark), o => o is StatusChanged { Status: { Role: ReplicaRole.Looking, IsServing: false } });
        Assert.Equal(ProposeRejection.NotLeader, c.Core(3).Propose([1]).Rejection);
    }

    [Fact]
    public void A_follower_that_stops_hearing_its_leader_looks_for_another()
    {
        var c = Established(3);
        c.Cut.UnionWith([(3, 1)]);

        c.Tick(c.Cluster.Options(1).SyncLimitTicks + 1);

        Assert.Equal(ReplicaRole.Looking, c.Core(1).Role);
        Assert.False(c.Core(1).IsServing);
    }

    [Fact]
    public void A_forwarded_write_is_prepared_by_the_leaders_shell_and_applied_everywhere()
    {
        var c = Established(3);

        Assert.True(c.Core(1).Forward(77, SimCluster.Payload(500)));
        c.Cluster.Input(c[1], _ => { }); // drain the forward
        c.RunUntil(() => c.Cluster.Nodes.All(n => n.Applied.Count == 1));

        Assert.Contains(c.Cluster.OutputLog, o => o.Node == 3 && o.Output is ForwardedRequest { Origin: 1, RequestId: 77 });
        Assert.Equal(500, c[1].Applied[0].Id);
    }

    [Fact]
    public void The_leader_can_answer_a_forwarded_request_directly()
    {
        var c = Established(3);
        c.Cluster.Input(c[1], core => core.Forward(5, SimCluster.Payload(5)));
        c.Deliver();

        c.Cluster.Input(c[3], core => core.ReplyToForward(1, 5, [42]));
        c.Deliver();

        var reply = Assert.Single(c.Outputs(1).OfType<ForwardReplyReceived>());
        Assert.Equal((5L, ForwardStatus.Reply, (byte)42), (reply.RequestId, reply.Status, reply.Payload[0]));
    }

    [Fact]
    public void A_follower_cannot_forward_without_an_established_leader()
    {
        var c = new ScriptedCluster(3);
        c.StartAll();

        Assert.False(c.Core(1).Forward(1, [1]));
    }

    [Fact]
    public void Sync_on_a_lagging_follower_completes_only_after_it_applied_the_leaders_commit_point()
    {
        var c = Established(3);
        c.Cut.UnionWith([(3, 1)]); // server 1 misses the next write
        var zxid = c.Write(1);
        c.Deliver();
        Assert.Single(c[3].Applied);
        Assert.Empty(c[1].Applied);
        c.Cut.Clear();

        var mark = c.OutputMark;
        c.Cluster.Input(c[1], core => core.RequestSync(9));
        c.Deliver(filter: (from, to, m) => m is SyncRequest or Ping or PingAck);
        c.Cluster.Input(c[3], _ => { }); // the leader's confirming ping round goes out
        c.Deliver(filter: (from, to, m) => m is Ping or PingAck or SyncReply);
        Assert.DoesNotContain(c.Outputs(1, mark), o => o is SyncCompleted);

        c.RunUntil(() => c.Outputs(1, mark).Any(o => o is SyncCompleted));

        Assert.Equal(new SyncCompleted(9, zxid), c.Outputs(1, mark).OfType<SyncCompleted>().Single());
        Assert.Equal(zxid, c[1].AppliedZxid);
    }

    [Fact]
    public void Sync_waits_for_a_quorum_to_confirm_leadership_and_fails_when_leadership_is_lost()
    {
        var c = Established(3);
        c.Cut.UnionWith([(3, 1), (3, 2), (1, 3), (2, 3)]);
        var mark = c.OutputMark;

        c.Cluster.Input(c[3], core => core.RequestSync(1));
        c.Deliver();
        Assert.DoesNotContain(c.Outputs(3, mark), o => o is SyncCompleted);

        c.Tick(c.Cluster.Options(3).SyncLimitTicks + 1);
        Assert.Contains(new SyncFailed(1), c.Outputs(3, mark));

        c.Cut.Clear();
        c.RunUntil(() => c.AllServing(1, 2, 3));
        mark = c.OutputMark;
        var leader = c.Leader();
        c.Cluster.Input(c[leader], core => core.RequestSync(2));
        c.RunUntil(() => c.Outputs(leader, mark).Any(o => o is SyncCompleted));
    }

    [Fact]
    public void A_deposed_leader_cannot_complete_a_sync_with_its_stale_commit_point()
    {
        var c = Established(5);
        var minority = new[] { 4, 5 };
        var majority = new[] { 1, 2, 3 };
        foreach (var a in minority)
        {
            foreach (var b in majority)
            {
                c.Cut.UnionWith([(a, b), (b, a)]);
            }
        }

        // Only the majority's clocks run: it elects a new leader and acknowledges a write, while 5 still leads 4.
        for (var i = 0; i < 40 && !majority.Any(id => c.Core(id).IsServing && c.Core(id).Role == ReplicaRole.Leading); i++)
        {
            foreach (var id in majority)
            {
                c.Cluster.Tick(c[id]);
            }

            c.Deliver();
        }

        var newLeader = majority.Single(id => c.Core(id).Role == ReplicaRole.Leading);
        var acked = c.Cluster.Propose(c[newLeader], 99).Zxid;
        c.Deliver();
        Assert.Equal(acked, c[newLeader].AppliedZxid);
        Assert.Equal(ReplicaRole.Leading, c.Core(5).Role);
        Assert.True(c.Core(4).IsServing);

        // Server 4's sync goes to its (deposed) leader 5, which cannot get a quorum to confirm its leadership.
        var mark = c.OutputMark;
        c.Cluster.Input(c[4], core => core.RequestSync(1));
        c.Deliver();
        c.Cluster.Input(c[5], _ => { });
        c.Deliver();

        Assert.DoesNotContain(c.Outputs(4, mark), o => o is SyncCompleted);
        Assert.True(c[4].AppliedZxid < acked);
    }

    private static void WriteAndDeliver(ScriptedCluster c, long from, long to)
    {
        for (var id = from; id <= to; id++)
        {
            c.Write(id);
            c.Deliver();
        }
    }

    private static ScriptedCluster Established(int voters, int observers = 0)
    {
        var c = new ScriptedCluster(voters, observers);
        c.StartAll();
        c.RunUntil(() => c.AllServing([.. Enumerable.Range(1, voters + observers)]));
        return c;
    }
}
