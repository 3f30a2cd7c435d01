using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// /zookeeper/config: the ensemble's membership as text, which clients read with getConfig.
/// </summary>
/// <remarks>
/// As in Apache ZooKeeper (ZKDatabase.initConfigInZKDatabase), the node is not written by txns: each silo fills it
/// from its own configuration when it starts and whenever its tree is replaced by a leader's snapshot. Every member
/// of an ensemble has the same member list, so every silo shows the same bytes and the same Stat. Because the node is
/// local state laid over the replicated tree rather than part of it, it is kept out of the two places where trees
/// are compared or carried between silos:
/// <list type="bullet">
/// <item>the digest counts /zookeeper/config as the empty node a fresh tree has, whatever it holds (ZooKeeper's
/// DigestCalculator leaves all of /zookeeper/ out for the same reason). Digests of silos with and without a member
/// list stay comparable, and snapshots written before the node was filled still load;</item>
/// <item>snapshots (<see cref="CaptureImage"/>) store the empty node, so the bytes of a snapshot do not depend on the
/// silo that wrote it, a leader's SNAP does not carry its view of the configuration to a follower, and a backup of an
/// ensemble restored onto a standalone silo shows an empty /zookeeper/config there, as a standalone server must.</item>
/// </list>
/// </remarks>
public sealed partial class DataTree
{
    /// <summary>The digest contribution of /zookeeper/config, fixed at that of the empty node a fresh tree has.</summary>
    private static readonly ulong ConfigNodeDigest = NodeDigest.Of(ConfigPath, new DataNode([], Acl.ReadAclUnsafe, 0, 0, 0) { Aversion = -1 });

    /// <summary>
    /// Fills /zookeeper/config from this silo's configuration, as ZooKeeper does for a quorum peer: the data is the
    /// configuration text, mzxid its version (the hex <c>version=</c> of the text; 0 when reconfig is disabled),
    /// dataVersion -1 (ZooKeeper writes the node with version -1); czxid, ctime and aversion are kept (0, 0 and -1).
    /// mtime stays 0 where ZooKeeper stamps each server's wall clock, so that every silo returns the same Stat.
    /// Null or empty <paramref name="config"/> restores the empty node of a standalone server. Watches do not fire:
    /// this runs before the tree is served. Does not change <see cref="Digest"/>.
    /// </summary>
    public void SetConfig(byte[]? config, long version)
    {
        var path = "/zookeeper/config"u8;
        var hash = NodeRecord.Hash(path);
        var slot = _nodes.Find(path, hash);
        var node = _nodes.SlotValue(slot);
        var f = FieldsOf(node);
        f.DataIsNull = false;
        f.Mtime = 0;
        if (config is not { Length: > 0 })
        {
            f.Mzxid = 0;
            f.Version = 0;
            config = [];
        }
        else
        {
            f.Mzxid = version;
            f.Version = -1;
        }

        Rewrite(node, slot, path, hash, f, config, default);
    }

    /// <summary>A node's digest contribution; see the remarks of this class for /zookeeper/config.</summary>
    private static ulong DigestOf(object entry)
    {
        var f = FieldsOf(entry);
        var path = NodeTable.RecordOf(entry).AsSpan(f.PathStart, f.PathLength);
        return path.SequenceEqual("/zookeeper/config"u8) ? ConfigNodeDigest : NodeDigest.Of(path, f, DataOf(entry, f).Span);
    }

    /// <summary>/zookeeper/config as a fresh tree has it: empty (not null) data, READ for anyone, aversion -1.</summary>
    private static byte[] NewConfigRecord(AclTable acls) =>
        NodeRecord.Build(new NodeFields { Aversion = -1, AclIndex = acls.Acquire(Acl.ReadAclUnsafe) }, "/zookeeper/config"u8, []);

    /// <summary>The snapshot record of /zookeeper/config: always the empty node (see the remarks of this class).</summary>
    private static TreeImage.NodeImage ConfigNodeImage() =>
        new(NodeRecord.Build(new NodeFields { Aversion = -1 }, "/zookeeper/config"u8, []), null, Acl.ReadAclUnsafe, 0, 0, false);
}
