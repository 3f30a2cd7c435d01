using Orleans.Coordination.DataTree.Tests.Support;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using ZnodeTree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>The tree digest: order-independent, kept up to date incrementally, sensitive to every byte.</summary>
public sealed class DigestTests
{
    private static Transaction Txn(long zxid, TxnBody body, long time = 1_000) => new(new TxnHeader(0x42, 0, zxid, time + zxid, body.Type), body);

    private static ulong Recomputed(ZnodeTree tree) =>
        tree.Nodes.Aggregate(0UL, (sum, kv) => unchecked(sum + NodeDigest.Of(kv.Key, kv.Value)));

    /// <summary>Two independent chains of txns: one under /a, one under /b (each with its own zxids).</summary>
    private static (List<Transaction> A, List<Transaction> B) Chains()
    {
        var a = new List<Transaction>();
        var b = new List<Transaction>();
        for (var i = 0; i < 10; i++)
        {
            a.Add(Txn(100 + (2 * i), new CreateTxn($"/a/n{i}", [(byte)i], Acl.OpenAclUnsafe, 0, i + 1, OpCode.Create)));
            b.Add(Txn(101 + (2 * i), new CreateTxn($"/b/n{i}", [(byte)(i * 3)], Acl.OpenAclUnsafe, 0, i + 1, OpCode.Create)));
        }

        a.Add(Txn(200, new SetDataTxn("/a/n3", [7, 7, 7], 1)));
        b.Add(Txn(201, new DeleteTxn("/b/n5")));
        a.Add(Txn(202, new SetAclTxn("/a/n4", Acl.ReadAclUnsafe, 1)));
        return (a, b);
    }

    private static ZnodeTree Build(IEnumerable<Transaction> order)
    {
        var tree = new ZnodeTree();
        tree.Apply(Txn(1, new CreateTxn("/a", [], Acl.OpenAclUnsafe, 0, 1, OpCode.Create)));
        tree.Apply(Txn(2, new CreateTxn("/b", [], Acl.OpenAclUnsafe, 0, 2, OpCode.Create)));
        foreach (var t in order)
        {
            Assert.All(tree.Apply(t), r => Assert.Equal(ErrorCode.Ok, r.Err));
        }

        return tree;
    }

    [Fact]
    public void Fresh_trees_agree()
    {
        Assert.Equal(new ZnodeTree().Digest, new ZnodeTree().Digest);
        Assert.Equal(Recomputed(new ZnodeTree()), new ZnodeTree().Digest);
    }

    [Fact]
    public void Different_interleavings_of_independent_nodes_give_the_same_digest()
    {
        var (a, b) = Chains();
        var allAThenB = Build(a.Concat(b));
        var allBThenA = Build(b.Concat(a));
        var alternating = Build(a.Zip(b, (x, y) => new[] { y, x }).SelectMany(p => p).Concat(a.Skip(b.Count)).Concat(b.Skip(a.Count)));

        Assert.Equal(allAThenB.Digest, allBThenA.Digest);
        Assert.Equal(allAThenB.Digest, alternating.Digest);
        Assert.Equal(Recomputed(allAThenB), allAThenB.Digest);
        Assert.Equal(Recomputed(alternating), alternating.Digest);
    }

    [Fact]
    public void A_changed_byte_of_data_changes_the_digest()
    {
        var (a, b) = Chains();
        var one = Build(a.Concat(b));
        var two = Build(a.Concat(b));
        Assert.Equal(one.Digest, two.Digest);

        one.Apply(Txn(300, new SetDataTxn("/a/n0", [1, 2, 3, 4], 1)));
        two.Apply(Txn(300, new SetDataTxn("/a/n0", [1, 2, 3, 5], 1)));
        Assert.NotEqual(one.Digest, two.Digest);
        Assert.Equal(Recomputed(one), one.Digest);
        Assert.Equal(Recomputed(two), two.Digest);
    }

    [Fact]
    public void Null_and_empty_data_differ()
    {
        var one = new ZnodeTree();
        var two = new ZnodeTree();
        one.Apply(Txn(5, new CreateTxn("/n", null, Acl.OpenAclUnsafe, 0, 1, OpCode.Create)));
        two.Apply(Txn(5, new CreateTxn("/n", [], Acl.OpenAclUnsafe, 0, 1, OpCode.Create)));
        Assert.NotEqual(one.Digest, two.Digest);
    }

    [Fact]
    public void Stat_fields_are_part_of_the_digest()
    {
        var baseline = Build([]).Digest;
        Assert.NotEqual(baseline, Build([Txn(50, new SetDataTxn("/a", [], 1))]).Digest);
        Assert.NotEqual(Build([Txn(50, new SetDataTxn("/a", [], 1))]).Digest, Build([Txn(51, new SetDataTxn("/a", [], 1))]).Digest);
        Assert.NotEqual(Build([Txn(50, new SetDataTxn("/a", [], 1))]).Digest, Build([Txn(50, new SetDataTxn("/a", [], 2))]).Digest);
        Assert.NotEqual(Build([Txn(50, new CreateTxn("/x", [], Acl.OpenAclUnsafe, 0, 3, OpCode.Create))]).Digest, Build([Txn(50, new CreateTxn("/x", [], Acl.OpenAclUnsafe, 5, 3, OpCode.Create))]).Digest);
    }

    [Fact]
    public void Path_is_part_of_the_digest()
    {
        Assert.NotEqual(
            Build([Txn(50, new CreateTxn("/a/x", [1], Acl.OpenAclUnsafe, 0, 1, OpCode.Create))]).Digest,
            Build([Txn(50, new CreateTxn("/a/y", [1], Acl.OpenAclUnsafe, 0, 1, OpCode.Create))]).Digest);
    }

    [Fact]
    public void Incremental_digest_matches_a_full_recomputation_after_mixed_ops()
    {
        var h = new TreeHarness();
        h.OpenSession(TreeHarness.SessionA);
        h.CreateOk("/p", [1]);
        for (var i = 0; i < 20; i++)
        {
            h.CreateOk("/p/s-", [(byte)i], CreateMode.EphemeralSequential);
        }

        h.CreateOk("/q", new byte[3000]);
        Assert.Equal(ErrorCode.Ok, h.SetData("/q", new byte[10]));
        Assert.Equal(ErrorCode.Ok, h.SetAcl("/q", Acl.ReadAclUnsafe));
        Assert.Equal(ErrorCode.Ok, h.Delete("/p/s-0000000007"));
        Assert.Equal(Recomputed(h.Tree), h.Tree.Digest);
        Assert.Equal(ErrorCode.Ok, h.CloseSession(TreeHarness.SessionA));
        Assert.Equal(Recomputed(h.Tree), h.Tree.Digest);
    }

    /// <summary>
    /// Node hashes are stored in snapshots and compared between silos: the function must never change. These values
    /// were computed by the first implementation (two CRC-32C chains, one pass each).
    /// </summary>
    [Theory]
    [InlineData("/", -1, 8572706346170538484UL)]
    [InlineData("/a", 0, 8217885668424471378UL)]
    [InlineData("/config/\u00e9t\u00e9", 7, 10657741845779523876UL)]
    [InlineData("/bench/n0000000001", 1024, 2292850937873778289UL)]
    [InlineData("/bench/n0000000002", 1031, 607411451463667262UL)]
    public void Node_hashes_are_stable_across_versions(string path, int dataLength, ulong expected)
    {
        var data = dataLength < 0 ? null : Enumerable.Range(0, dataLength).Select(i => (byte)((i * 31) + 7)).ToArray();
        var node = new DataNode(data, Acl.OpenAclUnsafe, 0x1_0000_0005, 1_700_000_000_123, 0)
        {
            Mzxid = 0x1_0000_0009,
            Pzxid = 0x1_0000_000A,
            Mtime = 1_700_000_000_456,
            Version = 3,
            Cversion = 2,
            Aversion = 1,
        };

        Assert.Equal(expected, NodeDigest.Of(path, node));
    }
}
