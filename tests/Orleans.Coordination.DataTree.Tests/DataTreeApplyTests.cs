using Orleans.Coordination.DataTree.Tests.Support;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>Stat semantics of applied txns, as clients see them through <see cref="Tree.DataNode.ToStat"/>.</summary>
public sealed class DataTreeApplyTests
{
    [Fact]
    public void A_fresh_tree_has_the_reserved_nodes_with_zero_stats_except_the_config_aversion()
    {
        var h = new TreeHarness();
        Assert.Equal(4, h.Tree.NodeCount);
        var root = h.StatOf("/");
        Assert.Equal(-1, root.Cversion);
        Assert.Equal(1, root.NumChildren);
        var zk = h.StatOf("/zookeeper");
        Assert.Equal(-2, zk.Cversion);
        Assert.Equal(2, zk.NumChildren);
        foreach (var path in new[] { "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" })
        {
            var s = h.StatOf(path);
            Assert.Equal((0L, 0L, 0L, 0L, 0L), (s.Czxid, s.Mzxid, s.Pzxid, s.Ctime, s.Mtime));
            Assert.Equal((0, 0L, 0), (s.Version, s.EphemeralOwner, s.DataLength));

            // Apache ZooKeeper sets /zookeeper/config's ACL with version -1 at start-up, leaving aversion -1.
            Assert.Equal(path == "/zookeeper/config" ? -1 : 0, s.Aversion);
        }

        Assert.Equal(Acl.ReadAclUnsafe, h.Tree.Get("/zookeeper/config")!.Acl);
        Assert.Equal(Acl.OpenAclUnsafe, h.Tree.Get("/zookeeper")!.Acl);
        Assert.Equal(0, h.Tree.LastZxid);
    }

    [Fact]
    public void Create_stamps_czxid_mzxid_pzxid_and_times_from_the_txn()
    {
        var h = new TreeHarness { Now = 1_234_567 };
        var zxid = h.NextZxid;
        h.CreateOk("/a", [1, 2, 3]);
        var s = h.StatOf("/a");
        Assert.Equal((zxid, zxid, zxid), (s.Czxid, s.Mzxid, s.Pzxid));
        Assert.Equal((1_234_567L, 1_234_567L), (s.Ctime, s.Mtime));
        Assert.Equal((0, 0, 0), (s.Version, s.Cversion, s.Aversion));
        Assert.Equal((3, 0, 0L), (s.DataLength, s.NumChildren, s.EphemeralOwner));
        Assert.Equal(zxid, h.Tree.LastZxid);

        // The parent: pzxid moves, mzxid and version do not.
        var root = h.StatOf("/");
        Assert.Equal(zxid, root.Pzxid);
        Assert.Equal(0, root.Mzxid);
        Assert.Equal(0, root.Version);
        Assert.Equal(2 * 1 - 2, root.Cversion);
    }

    [Fact]
    public void Null_data_is_stored_as_null_with_length_zero()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.Ok, h.Write(OpCode.Create, new CreateRequest("/null", null, Acl.OpenAclUnsafe, 0)).Err);
        Assert.Null(h.Tree.Get("/null")!.Data);
        Assert.Equal(0, h.StatOf("/null").DataLength);
    }

    [Fact]
    public void SetData_bumps_version_and_moves_mzxid_and_mtime_only()
    {
        var h = new TreeHarness { Now = 1000 };
        h.CreateOk("/a", [1]);
        var created = h.StatOf("/a");
        h.Now = 2000;
        var zxid = h.NextZxid;
        Assert.Equal(ErrorCode.Ok, h.SetData("/a", [1, 2]));
        var s = h.StatOf("/a");
        Assert.Equal(1, s.Version);
        Assert.Equal(zxid, s.Mzxid);
        Assert.Equal(2000, s.Mtime);
        Assert.Equal((created.Czxid, created.Ctime, created.Pzxid), (s.Czxid, s.Ctime, s.Pzxid));
        Assert.Equal((0, 0, 2), (s.Cversion, s.Aversion, s.DataLength));
        Assert.Equal(ErrorCode.Ok, h.SetData("/a", null, version: 1));
        Assert.Equal((2, 0), (h.StatOf("/a").Version, h.StatOf("/a").DataLength));
    }

    [Fact]
    public void SetAcl_bumps_aversion_only()
    {
        var h = new TreeHarness();
        h.CreateOk("/a", [1]);
        var before = h.StatOf("/a");
        Assert.Equal(ErrorCode.Ok, h.SetAcl("/a", Acl.ReadAclUnsafe));
        var s = h.StatOf("/a");
        Assert.Equal(1, s.Aversion);
        Assert.Equal(before with { Aversion = 1 }, s);
        Assert.Equal(Acl.ReadAclUnsafe, h.Tree.Get("/a")!.Acl);
    }

    [Fact]
    public void Cversion_as_clients_see_it_counts_creates_and_deletes()
    {
        var h = new TreeHarness();
        h.CreateOk("/p");
        h.CreateOk("/p/a");
        h.CreateOk("/p/b");
        var beforeDelete = h.StatOf("/p");
        Assert.Equal(2, beforeDelete.Cversion);
        var deleteZxid = h.NextZxid;
        Assert.Equal(ErrorCode.Ok, h.Delete("/p/a"));

        var s = h.StatOf("/p");
        Assert.Equal(3, s.Cversion);
        Assert.Equal(1, s.NumChildren);
        Assert.Equal(deleteZxid, s.Pzxid);
        Assert.Equal(beforeDelete.Mzxid, s.Mzxid);
        Assert.Equal(2, h.Tree.Get("/p")!.Cversion);
    }

    [Fact]
    public void CloseSession_deletes_every_ephemeral_of_that_session_only()
    {
        var h = new TreeHarness();
        h.OpenSession(TreeHarness.SessionA);
        h.OpenSession(TreeHarness.SessionB);
        h.CreateOk("/dir");
        h.CreateOk("/a1", mode: CreateMode.Ephemeral);
        h.CreateOk("/dir/a2", mode: CreateMode.EphemeralSequential);
        h.CreateOk("/dir/a3", mode: CreateMode.Ephemeral);
        h.CreateOk("/b1", mode: CreateMode.Ephemeral, session: TreeHarness.SessionB);
        Assert.Equal(3, h.Tree.EphemeralsOf(TreeHarness.SessionA).Count);
        Assert.Equal(4, h.Tree.EphemeralCount);

        var zxid = h.NextZxid;
        Assert.Equal(ErrorCode.Ok, h.CloseSession(TreeHarness.SessionA));
        Assert.Empty(h.Tree.EphemeralsOf(TreeHarness.SessionA));
        Assert.Null(h.Tree.Get("/a1"));
        Assert.Null(h.Tree.Get("/dir/a20000000000"));
        Assert.Null(h.Tree.Get("/dir/a3"));
        Assert.NotNull(h.Tree.Get("/b1"));
        Assert.NotNull(h.Tree.Get("/dir"));
        Assert.Equal(1, h.Tree.EphemeralCount);
        Assert.False(h.Tree.Sessions.ContainsKey(TreeHarness.SessionA));
        Assert.True(h.Tree.Sessions.ContainsKey(TreeHarness.SessionB));
        Assert.Equal(zxid, h.StatOf("/dir").Pzxid);
        Assert.Equal(0, h.StatOf("/dir").NumChildren);
        Assert.Equal(zxid, h.Tree.LastZxid);
    }

    [Fact]
    public void CreateSession_records_timeout_and_password()
    {
        var h = new TreeHarness();
        h.OpenSession(TreeHarness.SessionA, timeout: 4000);
        var entry = h.Tree.Sessions[TreeHarness.SessionA];
        Assert.Equal(4000, entry.TimeOut);
        Assert.Equal(16, entry.Passwd.Length);
    }

    [Fact]
    public void A_multi_applies_every_op_at_one_zxid()
    {
        var h = new TreeHarness();
        h.CreateOk("/v");
        var zxid = h.NextZxid;
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/m", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Create, new CreateRequest("/m/c", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.SetData, new SetDataRequest("/v", [9], -1)),
        ]);
        Assert.True(h.Prepare(OpCode.Multi, multi).Succeeded);
        var results = h.ApplyAll();
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(ErrorCode.Ok, r.Err));
        Assert.Equal(zxid, h.StatOf("/m").Czxid);
        Assert.Equal(zxid, h.StatOf("/m/c").Czxid);
        Assert.Equal(zxid, h.StatOf("/m").Pzxid);
        Assert.Equal(zxid, h.StatOf("/v").Mzxid);
        Assert.Equal(zxid, h.Tree.LastZxid);
    }

    [Fact]
    public void Replaying_a_change_that_is_already_present_is_reported_not_applied_twice()
    {
        var h = new TreeHarness();
        var create = new CreateTxn("/dup", [1], Acl.OpenAclUnsafe, 0, 1, OpCode.Create);
        Assert.Equal(ErrorCode.Ok, h.ApplyRaw(create)[0].Err);
        var digest = h.Tree.Digest;
        Assert.Equal(ErrorCode.NodeExists, h.ApplyRaw(create)[0].Err);
        Assert.Equal(ErrorCode.NoNode, h.ApplyRaw(new DeleteTxn("/nothing"))[0].Err);
        Assert.Equal(ErrorCode.NoNode, h.ApplyRaw(new CreateTxn("/no/parent", [], Acl.OpenAclUnsafe, 0, 1, OpCode.Create))[0].Err);
        Assert.Equal(digest, h.Tree.Digest);
    }

    [Fact]
    public void Descendant_count_includes_every_level()
    {
        var h = new TreeHarness();
        Assert.Equal(3, h.Tree.CountDescendants("/"));
        h.CreateOk("/a");
        h.CreateOk("/a/b");
        h.CreateOk("/a/b/c");
        h.CreateOk("/d");
        Assert.Equal(7, h.Tree.CountDescendants("/"));
        Assert.Equal(2, h.Tree.CountDescendants("/a"));
        Assert.Equal(0, h.Tree.CountDescendants("/d"));
        Assert.Equal(0, h.Tree.CountDescendants("/missing"));
    }

    [Fact]
    public void Containers_and_ttl_nodes_are_tracked_until_deleted()
    {
        var h = new TreeHarness();
        h.CreateOk("/c", mode: CreateMode.Container);
        Assert.Equal(ErrorCode.Ok, h.Write(OpCode.CreateTtl, new CreateTtlRequest("/t", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 100)).Err);
        Assert.Equal(["/c"], h.Tree.Containers);
        Assert.Equal(["/t"], h.Tree.TtlNodes);
        Assert.Equal(ErrorCode.Ok, h.Delete("/c"));
        Assert.Equal(ErrorCode.Ok, h.Write(OpCode.DeleteContainer, new BufferRecord("/t"u8.ToArray())).Err);
        Assert.Empty(h.Tree.Containers);
        Assert.Empty(h.Tree.TtlNodes);
    }

    [Fact]
    public void Children_are_listed_by_name_and_by_path()
    {
        var h = new TreeHarness();
        h.CreateOk("/a");
        h.CreateOk("/a/b");
        h.CreateOk("/a/c");
        h.CreateOk("/a/c/d");
        Assert.Equal(ErrorCode.Ok, h.Delete("/a/b"));
        h.CreateOk("/a/e");

        var a = h.Tree.Get("/a")!;
        Assert.Equal(["c", "e"], a.Children.Order(StringComparer.Ordinal));
        Assert.Equal(2, a.Children.Count);
        Assert.Equal(["/a/c", "/a/e"], a.ChildPaths.Order(StringComparer.Ordinal));
        Assert.Equal(["d"], h.Tree.Get("/a/c")!.Children);
        Assert.Empty(h.Tree.Get("/a/e")!.Children);
        Assert.Equal(3, h.Tree.CountDescendants("/a"));
    }
}
