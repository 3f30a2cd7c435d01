using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// One znode. Fields are the persisted stat (cversion is the stored count of child creates; clients see
/// 2×cversion − numChildren). Children are allocated on first use: most nodes are leaves.
/// </summary>
public sealed class DataNode
{
    private HashSet<string>? _children;

    public DataNode(byte[]? data, IReadOnlyList<Acl> acl, long czxid, long ctime, long ephemeralOwner)
    {
        Data = data;
        Acl = acl;
        Czxid = czxid;
        Mzxid = czxid;
        Pzxid = czxid;
        Ctime = ctime;
        Mtime = ctime;
        EphemeralOwner = ephemeralOwner;
    }

    public byte[]? Data { get; internal set; }

    public IReadOnlyList<Acl> Acl { get; internal set; }

    public long Czxid { get; internal set; }

    public long Mzxid { get; internal set; }

    public long Pzxid { get; internal set; }

    public long Ctime { get; internal set; }

    public long Mtime { get; internal set; }

    public int Version { get; internal set; }

    /// <summary>The stored cversion: number of child creates (wraps as int32).</summary>
    public int Cversion { get; internal set; }

    public int Aversion { get; internal set; }

    /// <summary>Stored owner: session id, <see cref="EphemeralOwners.Container"/>, a TTL marker, or 0.</summary>
    public long EphemeralOwner { get; internal set; }

    public int NumChildren => _children?.Count ?? 0;

    public IReadOnlyCollection<string> Children => (IReadOnlyCollection<string>?)_children ?? [];

    internal bool AddChild(string name) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    internal bool RemoveChild(string name)
    {
        if (_children is null || !_children.Remove(name))
        {
            return false;
        }

        if (_children.Count == 0)
        {
            _children = null;
        }

        return true;
    }

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
            Data?.Length ?? 0,
            n,
            Pzxid);
    }
}
