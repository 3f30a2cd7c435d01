using System.Text;
using Orleans.Coordination.DataTree.Tests.Support;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using ZnodeTree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>
/// The compact node storage: records that keep only the stat fields a fresh node does not have, the open-addressing
/// path tables, leaves that become branches, reference-counted ACLs, and snapshots of all of it.
/// </summary>
public sealed class NodeStorageTests
{
    public static TheoryData<int> FieldCombinations()
    {
        var data = new TheoryData<int>();
        for (var mask = 0; mask < 64; mask++)
        {
            data.Add(mask);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FieldCombinations))]
    public void A_record_gives_back_every_field_whichever_differ_from_a_fresh_node(int mask)
    {
        var f = new NodeFields
        {
            Czxid = 0x1_0000_0005,
            Ctime = 1_700_000_000_123,
            AclIndex = (mask & 1) != 0 ? 300 : 2,
            DataIsNull = (mask & 2) != 0,
        };
        f.Mzxid = (mask & 4) != 0 ? 0x2_0000_0001 : f.Czxid;
        f.Mtime = (mask & 8) != 0 ? 1_800_000_000_000 : f.Ctime;
        f.Pzxid = (mask & 16) != 0 ? 0x3_0000_0001 : f.Czxid;
        (f.Version, f.Cversion, f.Aversion) = (mask & 32) != 0 ? (-1, int.MaxValue, 7) : (0, 0, 0);
        f.EphemeralOwner = (mask & 1) != 0 ? long.MinValue + 3 : 0;
        var path = Encoding.UTF8.GetBytes("/p/" + new string('x', (mask & 1) != 0 ? 200 : 3) + "/\u00e9");
        byte[] data = f.DataIsNull ? [] : [1, 2, 3];

        var record = NodeRecord.Build(f, path, data);
        var back = NodeRecord.Decode(record);

        Assert.Equal(
            (f.Czxid, f.Mzxid, f.Pzxid, f.Ctime, f.Mtime, f.Version, f.Cversion, f.Aversion, f.EphemeralOwner, f.AclIndex, f.DataIsNull),
            (back.Czxid, back.Mzxid, back.Pzxid, back.Ctime, back.Mtime, back.Version, back.Cversion, back.Aversion, back.EphemeralOwner, back.AclIndex, back.DataIsNull));
        Assert.Equal(path, NodeRecord.Path(record).ToArray());
        Assert.Equal(path, record.AsSpan(back.PathStart, back.PathLength).ToArray());
        Assert.Equal(data, record.AsSpan(back.DataStart).ToArray());
        Assert.Equal(f.AclIndex, NodeRecord.AclIndex(record));
    }

    [Fact]
    public void A_fresh_leaf_costs_its_path_data_and_about_twenty_bytes()
    {
        var f = new NodeFields { Czxid = 5, Mzxid = 5, Pzxid = 5, Ctime = 9, Mtime = 9 };
        var record = NodeRecord.Build(f, "/bench/d3/c12345"u8, new byte[100]);
        Assert.Equal(1 + 1 + 1 + 16 + 16 + 100, record.Length);
    }

    [Fact]
    public void The_path_table_agrees_with_a_hash_set_under_random_adds_and_removes()
    {
        var table = new NodeTable();
        var reference = new HashSet<string>(StringComparer.Ordinal);
        var random = new Random(12345);
        for (var step = 0; step < 40_000; step++)
        {
            // A small key space so that removes hit, probe runs wrap and backward shifts move entries.
            var path = "/k" + random.Next(3000);
            var bytes = Encoding.UTF8.GetBytes(path);
            var hash = NodeRecord.Hash(bytes);
            if (random.Next(3) == 0)
            {
                Assert.Equal(reference.Remove(path), table.Remove(bytes, hash));
            }
            else if (reference.Add(path))
            {
                Assert.Equal(-1, table.Find(bytes, hash));
                table.Add(NodeRecord.Build(default, bytes, []), hash);
            }

            Assert.Equal(reference.Count, table.Count);
        }

        for (var i = 0; i < 3000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes("/k" + i);
            Assert.Equal(reference.Contains("/k" + i), table.Find(bytes, NodeRecord.Hash(bytes)) >= 0);
        }

        var listed = table.Entries().Select(e => Encoding.UTF8.GetString(NodeRecord.Path(NodeTable.RecordOf(e)))).ToList();
        Assert.Equal(reference.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Setting_data_on_a_child_keeps_it_listed_and_readable_from_its_parent()
    {
        var h = new TreeHarness();
        h.CreateOk("/p");
        h.CreateOk("/p/a", [1]);
        h.CreateOk("/p/b", [2]);
        Assert.Equal(ErrorCode.Ok, h.SetData("/p/a", [1, 1, 1]));
        Assert.Equal(ErrorCode.Ok, h.SetData("/p", [9]));

        // /p/a becomes a branch after it was replaced in /p's child set; its own child must be found through it.
        h.CreateOk("/p/a/x", [3]);
        Assert.Equal(ErrorCode.Ok, h.SetData("/p/a", [4]));
        Assert.Equal(["a", "b"], h.Tree.Get("/p")!.Children.Order(StringComparer.Ordinal));
        Assert.Equal(["x"], h.Tree.Get("/p/a")!.Children);
        Assert.Equal([4], h.Tree.Get("/p/a")!.Data);
        Assert.Equal([9], h.Tree.Get("/p")!.Data);
        Assert.Equal(2, h.StatOf("/p/a").Version);
        Assert.Equal(3, h.Tree.CountDescendants("/p"));
        Assert.Equal(ErrorCode.Ok, h.Delete("/p/a/x"));
        Assert.Equal(ErrorCode.Ok, h.Delete("/p/a"));
        Assert.Equal(["b"], h.Tree.Get("/p")!.Children);
    }

    [Fact]
    public void A_node_whose_children_are_gone_keeps_its_child_stat_through_a_snapshot()
    {
        var h = new TreeHarness();
        h.CreateOk("/p");
        h.CreateOk("/p/c");
        Assert.Equal(ErrorCode.Ok, h.Delete("/p/c"));
        var before = h.StatOf("/p");
        Assert.Equal((2, 0), (before.Cversion, before.NumChildren)); // a create and a delete
        Assert.NotEqual(before.Czxid, before.Pzxid);

        var loaded = RoundTrip(h.Tree);
        Assert.Equal(before, loaded.Get("/p")!.ToStat());
        Assert.Equal(h.Tree.Digest, loaded.Digest);
    }

    [Fact]
    public void Data_longer_than_the_inline_limit_moves_out_of_the_record_and_back_without_changing_what_clients_see()
    {
        var big = Enumerable.Range(0, NodeBox.InlineLimit + 1).Select(i => (byte)i).ToArray();
        var bigger = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var h = new TreeHarness();
        h.CreateOk("/big", big);
        h.CreateOk("/small", [1]);
        Assert.Equal(big, h.Tree.Get("/big")!.Data);
        Assert.Equal(big.Length, h.StatOf("/big").DataLength);

        Assert.Equal(ErrorCode.Ok, h.SetData("/small", bigger));
        Assert.Equal(ErrorCode.Ok, h.SetData("/big", [2, 3]));
        Assert.Equal(bigger, h.Tree.Get("/small")!.Data);
        Assert.Equal([2, 3], h.Tree.Get("/big")!.Data);

        // A child under a node whose data is out of line, an ACL change that keeps the data, and a snapshot of both.
        Assert.Equal(ErrorCode.Ok, h.SetData("/big", bigger));
        h.CreateOk("/big/child", big);
        Assert.Equal(ErrorCode.Ok, h.ApplyRaw(new Protocol.Txn.SetAclTxn("/small", Acl.ReadAclUnsafe, 1))[0].Err);
        Assert.Equal(bigger, h.Tree.Get("/small")!.Data);
        Assert.Equal(["child"], h.Tree.Get("/big")!.Children);
        Assert.Equal(ErrorCode.Ok, h.SetData("/big", null));
        Assert.True(h.Tree.Get("/big")!.DataIsNull);
        Assert.Equal(ErrorCode.Ok, h.SetData("/big", bigger));

        var loaded = RoundTrip(h.Tree);
        Assert.Equal(h.Tree.Digest, loaded.Digest);
        foreach (var path in new[] { "/big", "/big/child", "/small" })
        {
            Assert.Equal(h.Tree.Get(path)!.Data, loaded.Get(path)!.Data);
            Assert.Equal(h.StatOf(path), loaded.Get(path)!.ToStat());
        }

        Assert.Equal(Acl.ReadAclUnsafe, loaded.Get("/small")!.Acl);
    }

    [Fact]
    public void Null_and_empty_data_stay_apart_in_the_tree_and_in_snapshots()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.Ok, h.Write(OpCode.Create, new CreateRequest("/null", null, Acl.OpenAclUnsafe, 0)).Err);
        h.CreateOk("/empty", []);
        var loaded = RoundTrip(h.Tree);
        foreach (var tree in new[] { h.Tree, loaded })
        {
            Assert.True(tree.Get("/null")!.DataIsNull);
            Assert.Null(tree.Get("/null")!.Data);
            Assert.False(tree.Get("/empty")!.DataIsNull);
            Assert.Equal([], tree.Get("/empty")!.Data!);
        }
    }

    [Fact]
    public void An_acl_nobody_uses_any_more_leaves_the_table()
    {
        var h = new TreeHarness();
        var baseline = h.Tree.AclCount;
        for (var i = 0; i < 50; i++)
        {
            var own = new List<Acl> { new(Perms.All, new Id("digest", $"user{i}:hash")) };
            h.CreateOk($"/n{i}", [1], acl: own);
        }

        Assert.Equal(baseline + 50, h.Tree.AclCount);
        var shared = new List<Acl> { new(Perms.All, new Id("digest", "user0:hash")) };
        Assert.Equal(ErrorCode.Ok, h.ApplyRaw(new Protocol.Txn.SetAclTxn("/n1", shared, 1))[0].Err);
        for (var i = 2; i < 50; i++)
        {
            Assert.Equal(ErrorCode.Ok, h.ApplyRaw(new Protocol.Txn.DeleteTxn($"/n{i}"))[0].Err);
        }

        // /n0 and /n1 share one list now.
        Assert.Equal(baseline + 1, h.Tree.AclCount);
        Assert.Equal(shared, h.Tree.Get("/n1")!.Acl);
        Assert.Equal(shared, RoundTrip(h.Tree).Get("/n0")!.Acl);
    }

    private static ZnodeTree RoundTrip(ZnodeTree tree)
    {
        using var ms = new MemoryStream();
        tree.CaptureImage().WriteTo(ms);
        ms.Position = 0;
        return ZnodeTree.Load(ms, "test");
    }
}
