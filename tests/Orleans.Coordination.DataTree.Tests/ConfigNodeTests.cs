using System.Text;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using ZnodeTree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>/zookeeper/config: local configuration laid over the tree, outside the digest and the snapshots.</summary>
public sealed class ConfigNodeTests
{
    private static readonly byte[] Config = Encoding.UTF8.GetBytes(
        "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nserver.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182\nversion=0");

    private static ZnodeTree WithNodes()
    {
        var tree = new ZnodeTree();
        TxnBody body = new CreateTxn("/a", [1, 2], Acl.OpenAclUnsafe, 0, 1, OpCode.Create);
        Assert.All(tree.Apply(new Transaction(new TxnHeader(7, 1, (1L << 32) | 1, 1_000, body.Type), body)), r => Assert.Equal(ErrorCode.Ok, r.Err));
        return tree;
    }

    private static byte[] Snapshot(ZnodeTree tree)
    {
        using var ms = new MemoryStream();
        tree.CaptureImage().WriteTo(ms);
        return ms.ToArray();
    }

    [Fact]
    public void A_fresh_tree_has_the_empty_standalone_node()
    {
        var node = new ZnodeTree().Get(ZnodeTree.ConfigPath)!;
        Assert.Equal([], node.Data!);
        var st = node.ToStat();
        Assert.Equal(new Stat(0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0), st);
        Assert.Equal(Acl.ReadAclUnsafe, node.Acl);
    }

    [Fact]
    public void SetConfig_gives_the_data_and_the_stat_zookeeper_gives_a_quorum_peer()
    {
        var tree = WithNodes();
        tree.SetConfig(Config, 0x100000000);
        var node = tree.Get(ZnodeTree.ConfigPath)!;
        Assert.Equal(Config, node.Data);
        // czxid 0, mzxid = the config version, ctime/mtime 0, dataVersion -1, aversion -1, dataLength = the text.
        Assert.Equal(new Stat(0, 0x100000000, 0, 0, -1, 0, -1, 0, Config.Length, 0, 0), node.ToStat());
        Assert.Equal(Acl.ReadAclUnsafe, node.Acl);
    }

    [Fact]
    public void SetConfig_null_or_empty_restores_the_standalone_node()
    {
        var tree = new ZnodeTree();
        tree.SetConfig(Config, 5);
        tree.SetConfig(null, 0);
        Assert.Equal(new ZnodeTree().Get(ZnodeTree.ConfigPath)!.ToStat(), tree.Get(ZnodeTree.ConfigPath)!.ToStat());
        tree.SetConfig(Config, 5);
        tree.SetConfig([], 0);
        Assert.Equal([], tree.Get(ZnodeTree.ConfigPath)!.Data!);
        Assert.Equal(0, tree.Get(ZnodeTree.ConfigPath)!.Version);
    }

    [Fact]
    public void The_config_node_does_not_change_the_digest()
    {
        var plain = WithNodes();
        var configured = WithNodes();
        configured.SetConfig(Config, 0);
        Assert.Equal(plain.Digest, configured.Digest);
        // The digest of an unconfigured tree is what it always was (snapshots written before still load).
        var recomputed = plain.Nodes.Aggregate(0UL, (sum, kv) => unchecked(sum + NodeDigest.Of(kv.Key, kv.Value)));
        Assert.Equal(recomputed, plain.Digest);
    }

    [Fact]
    public void Snapshots_store_the_empty_node_and_do_not_depend_on_the_config()
    {
        var plain = WithNodes();
        var configured = WithNodes();
        configured.SetConfig(Config, 0);
        var bytes = Snapshot(configured);
        Assert.Equal(Snapshot(plain), bytes);

        var loaded = ZnodeTree.Load(new MemoryStream(bytes), "test");
        Assert.Equal(configured.Digest, loaded.Digest);
        Assert.Equal([], loaded.Get(ZnodeTree.ConfigPath)!.Data!);
        Assert.Equal(new ZnodeTree().Get(ZnodeTree.ConfigPath)!.ToStat(), loaded.Get(ZnodeTree.ConfigPath)!.ToStat());
        Assert.Equal([1, 2], loaded.Get("/a")!.Data);

        // The silo then lays its own configuration over the loaded tree; the digest stays the recorded one.
        loaded.SetConfig(Config, 0);
        Assert.Equal(configured.Digest, loaded.Digest);
        Assert.Equal(Config, loaded.Get(ZnodeTree.ConfigPath)!.Data);
    }
}
