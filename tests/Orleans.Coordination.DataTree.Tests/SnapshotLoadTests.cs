using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using ZnodeTree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>
/// Loading snapshots: content larger than the read-ahead blocks, damaged content, failing sources. The sources are
/// wrapped so that they are not MemoryStreams, which load without the read-ahead thread.
/// </summary>
public sealed class SnapshotLoadTests
{
    private static long _zxid = 1L << 32;

    private static void Create(ZnodeTree tree, string path, byte[] data, long owner = 0, IReadOnlyList<Acl>? acl = null)
    {
        var zxid = ++_zxid;
        var parent = tree.Get(path[..Math.Max(1, path.LastIndexOf('/'))])!;
        TxnBody body = new CreateTxn(path, data, acl ?? Acl.OpenAclUnsafe, owner, parent.Cversion + 1, owner == EphemeralOwners.Container ? OpCode.CreateContainer : OpCode.Create);
        var results = tree.Apply(new Transaction(new TxnHeader(owner > 0 ? owner : 7, 1, zxid, 1_000, body.Type), body));
        Assert.All(results, r => Assert.Equal(ErrorCode.Ok, r.Err));
    }

    /// <summary>About 3 MiB of content: three read-ahead blocks and a partial one.</summary>
    private static ZnodeTree BigTree()
    {
        var tree = new ZnodeTree();
        tree.Apply(new Transaction(new TxnHeader(42, 0, ++_zxid, 1_000, TxnType.CreateSession), new CreateSessionTxn(30_000, new byte[16])));
        Create(tree, "/app", [1]);
        Create(tree, "/app/box", [], EphemeralOwners.Container);
        for (var i = 0; i < 3000; i++)
        {
            var data = new byte[1000 + (i % 7)];
            data[0] = (byte)i;
            Create(tree, $"/app/n{i:D5}", data);
        }

        Create(tree, "/app/n00001/eph", [9], owner: 42);
        return tree;
    }

    private static byte[] Snapshot(ZnodeTree tree)
    {
        using var ms = new MemoryStream();
        tree.CaptureImage().WriteTo(ms);
        return ms.ToArray();
    }

    [Fact]
    public void Content_larger_than_the_read_ahead_blocks_loads_to_the_same_tree()
    {
        var tree = BigTree();
        var bytes = Snapshot(tree);
        Assert.True(bytes.Length > 3 << 20);

        var loaded = ZnodeTree.Load(new BufferedStream(new MemoryStream(bytes)), "test");

        Assert.Equal(tree.NodeCount, loaded.NodeCount);
        Assert.Equal(tree.Digest, loaded.Digest);
        Assert.Equal(tree.LastZxid, loaded.LastZxid);
        Assert.Equal(3001, loaded.Get("/app")!.NumChildren); // box and n00000..n02999
        Assert.Equal(tree.Get("/app/n02999")!.Data, loaded.Get("/app/n02999")!.Data);
        Assert.Equal(["eph"], loaded.Get("/app/n00001")!.Children);
        Assert.Equal(["/app/n00001/eph"], loaded.EphemeralsOf(42));
        Assert.Equal(["/app/box"], loaded.Containers);
        Assert.True(loaded.Sessions.ContainsKey(42));
        Assert.Equal(["app", "zookeeper"], loaded.Get("/")!.Children.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Truncated_content_names_the_node_and_offset_where_it_ends()
    {
        var bytes = Snapshot(BigTree());

        var e = Assert.Throws<SnapshotFormatException>(() => ZnodeTree.Load(new BufferedStream(new MemoryStream(bytes, 0, (2 << 20) + 123)), "snap-7"));

        Assert.Contains("snap-7", e.Message);
        Assert.Matches("content ends inside node [0-9]+ (length )?at offset [0-9]+", e.Message);
    }

    [Fact]
    public void Every_node_keeps_its_own_acl_when_neighbours_carry_different_ones()
    {
        IReadOnlyList<Acl> digest = [new(Perms.All, new Id("digest", "bob:abc=")), new(Perms.Read, Id.Anyone)];
        IReadOnlyList<Acl>[] cycle = [Acl.OpenAclUnsafe, Acl.ReadAclUnsafe, Acl.ReadAclUnsafe, digest, Acl.CreatorAllAcl, Acl.OpenAclUnsafe];
        var tree = new ZnodeTree();
        for (var i = 0; i < 60; i++)
        {
            Create(tree, $"/n{i:D2}", [(byte)i], acl: cycle[i % cycle.Length]);
        }

        var loaded = ZnodeTree.Load(new BufferedStream(new MemoryStream(Snapshot(tree))), "test");

        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(cycle[i % cycle.Length], loaded.Get($"/n{i:D2}")!.Acl);
        }

        Assert.Equal(tree.Digest, loaded.Digest);
    }

    [Fact]
    public void An_acl_list_running_past_its_node_record_is_reported_with_the_node_and_offset()
    {
        var tree = new ZnodeTree();
        Create(tree, "/first", [1]);
        Create(tree, "/victim", [5]);
        var bytes = Snapshot(tree);

        // The victim's record: path, data (length 1, byte 5), then the ACL count, which is made absurd.
        var at = bytes.AsSpan().IndexOf("/victim"u8) + "/victim".Length + 4 + 1;
        bytes[at] = 0x7F;

        var e = Assert.Throws<SnapshotFormatException>(() => ZnodeTree.Load(new BufferedStream(new MemoryStream(bytes)), "snap-9"));

        Assert.Contains("snap-9", e.Message);
        Assert.Matches("node [0-9]+ at offset [0-9]+ is malformed: ACL list", e.Message);
    }

    [Fact]
    public void A_failure_of_the_source_reaches_the_caller_with_its_own_type()
    {
        var bytes = Snapshot(BigTree());

        var e = Assert.Throws<InvalidDataException>(() => ZnodeTree.Load(new BufferedStream(new FailingStream(bytes, failAt: (1 << 20) + 5000)), "test"));

        Assert.Equal("checksum mismatch at block 2", e.Message);
    }

    [Fact]
    public void Read_ahead_returns_the_source_bytes_for_reads_of_any_size()
    {
        var source = new byte[(2 << 20) + 777];
        new Random(5).NextBytes(source);
        using var ahead = new ReadAheadStream(new MemoryStream(source));
        var copy = new MemoryStream();
        var buffer = new byte[70_001];
        var sizes = new[] { 1, 4, 4095, 70_001, 1 << 16, 13 };
        for (var i = 0; ; i++)
        {
            var n = ahead.Read(buffer, 0, sizes[i % sizes.Length]);
            if (n == 0)
            {
                break;
            }

            copy.Write(buffer, 0, n);
        }

        Assert.Equal(source, copy.ToArray());
        Assert.Equal(0, ahead.Read(buffer, 0, 10));
    }

    [Fact]
    public void Disposing_before_the_end_stops_the_reader()
    {
        var source = new MemoryStream(new byte[16 << 20]);
        var ahead = new ReadAheadStream(source);
        Assert.Equal(10, ahead.Read(new byte[10], 0, 10));

        ahead.Dispose();

        // The reader stopped after a few blocks ahead instead of consuming all 16 MiB, and let go of the source.
        Assert.InRange(source.Position, 1 << 20, 6 << 20);
        Assert.True(source.CanRead);
    }

    /// <summary>Serves <c>failAt</c> bytes, then fails as a store's checksum check would.</summary>
    private sealed class FailingStream(byte[] content, int failAt) : MemoryStream(content, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position + count > failAt)
            {
                throw new InvalidDataException("checksum mismatch at block 2");
            }

            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            if (Position + buffer.Length > failAt)
            {
                throw new InvalidDataException("checksum mismatch at block 2");
            }

            return base.Read(buffer);
        }
    }
}
