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
    private static readonly ulong ConfigNodeDigest = NodeDigest.Of(ConfigPath, NewConfigNode());

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
        var node = _nodes[ConfigPath];
        if (config is not { Length: > 0 })
        {
            node.Data = [];
            node.Mzxid = 0;
            node.Mtime = 0;
            node.Version = 0;
            return;
        }

        node.Data = config;
        node.Mzxid = version;
        node.Mtime = 0;
        node.Version = -1;
    }

    /// <summary>A node's digest contribution; see the remarks of this class for /zookeeper/config.</summary>
    private static ulong DigestOf(string path, DataNode node) =>
        path == ConfigPath ? ConfigNodeDigest : NodeDigest.Of(path, node);

    /// <summary>/zookeeper/config as a fresh tree has it: empty (not null) data, READ for anyone, aversion -1.</summary>
    private static DataNode NewConfigNode() => new([], Acl.ReadAclUnsafe, 0, 0, 0) { Aversion = -1 };

    /// <summary>The snapshot record of /zookeeper/config: always the empty node (see the remarks of this class).</summary>
    private static TreeImage.NodeImage ConfigNodeImage()
    {
        var n = NewConfigNode();
        return new(ConfigPath, n.Data, n.Acl, n.Czxid, n.Mzxid, n.Pzxid, n.Ctime, n.Mtime, n.Version, n.Cversion, n.Aversion, n.EphemeralOwner);
    }
}
