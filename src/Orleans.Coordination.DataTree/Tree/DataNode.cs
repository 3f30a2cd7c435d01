using System.Text;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// One znode as read from the tree at the moment of the call: the persisted stat (cversion is the stored count of
/// child creates; clients see 2×cversion − numChildren), ACL and data. The tree keeps each node as one compact record
/// (see <c>NodeRecord</c>); this is a view over it. Its stat and data do not change afterwards; its children are
/// read from the tree when listed, so list them before the next change is applied.
/// </summary>
public sealed class DataNode
{
    private static readonly string[] NoChildren = [];

    private readonly ReadOnlyMemory<byte> _data;
    private readonly bool _dataIsNull;
    private readonly NodeBox? _box;

    /// <summary>A node outside any tree (for computing digests and stats of given values).</summary>
    public DataNode(byte[]? data, IReadOnlyList<Acl> acl, long czxid, long ctime, long ephemeralOwner)
    {
        _data = data;
        _dataIsNull = data is null;
        Acl = acl;
        Czxid = czxid;
        Mzxid = czxid;
        Pzxid = czxid;
        Ctime = ctime;
        Mtime = ctime;
        EphemeralOwner = ephemeralOwner;
    }

    internal DataNode(in NodeFields f, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, NodeBox? box)
    {
        _data = data;
        _dataIsNull = f.DataIsNull;
        _box = box;
        Acl = acl;
        Czxid = f.Czxid;
        Mzxid = f.Mzxid;
        Pzxid = f.Pzxid;
        Ctime = f.Ctime;
        Mtime = f.Mtime;
        Version = f.Version;
        Cversion = f.Cversion;
        Aversion = f.Aversion;
        EphemeralOwner = f.EphemeralOwner;
    }

    /// <summary>A copy of the data; null when the node was created with null data.</summary>
    public byte[]? Data => _dataIsNull ? null : _data.ToArray();

    /// <summary>The data without a copy (empty for null data: see <see cref="DataIsNull"/>).</summary>
    public ReadOnlyMemory<byte> DataMemory => _data;

    public bool DataIsNull => _dataIsNull;

    public int DataLength => _data.Length;

    public IReadOnlyList<Acl> Acl { get; }

    public long Czxid { get; }

    public long Mzxid { get; init; }

    public long Pzxid { get; init; }

    public long Ctime { get; }

    public long Mtime { get; init; }

    public int Version { get; init; }

    /// <summary>The stored cversion: number of child creates (wraps as int32).</summary>
    public int Cversion { get; init; }

    public int Aversion { get; init; }

    /// <summary>Stored owner: session id, <see cref="EphemeralOwners.Container"/>, a TTL marker, or 0.</summary>
    public long EphemeralOwner { get; }

    public int NumChildren => _box?.ChildCount ?? 0;

    /// <summary>The children's names (decoded on each call).</summary>
    public IReadOnlyCollection<string> Children => List(namesOnly: true);

    /// <summary>The children's full paths (decoded on each call).</summary>
    public IReadOnlyCollection<string> ChildPaths => List(namesOnly: false);

    /// <summary>The Stat clients see.</summary>
    public Stat ToStat()
    {
        var n = NumChildren;
        return new Stat(
            Czxid,
            Mzxid,
            Ctime,
            Mtime,
            Version,
            unchecked((Cversion * 2) - n),
            Aversion,
            EphemeralOwners.Visible(EphemeralOwner),
            _data.Length,
            n,
            Pzxid);
    }

    private string[] List(bool namesOnly)
    {
        if (_box is not { ChildCount: > 0 } b)
        {
            return NoChildren;
        }

        var list = new string[b.Children.Count];
        var i = 0;
        foreach (var e in b.Children)
        {
            var path = NodeRecord.Path(NodeTable.RecordOf(e));
            list[i++] = Encoding.UTF8.GetString(namesOnly ? path[(path.LastIndexOf((byte)'/') + 1)..] : path);
        }

        return list;
    }
}
