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

    /// <summary>The children's names (allocated on each enumeration: the node keeps only their paths).</summary>
    public IReadOnlyCollection<string> Children => _children is null ? [] : new ChildNames(_children);

    /// <summary>
    /// The children's full paths: the very strings that key the tree's path table, so a child costs its parent a set
    /// entry and no string of its own.
    /// </summary>
    public IReadOnlyCollection<string> ChildPaths => (IReadOnlyCollection<string>?)_children ?? [];

    internal bool AddChild(string childPath) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(childPath);

    internal bool RemoveChild(string childPath)
    {
        if (_children is null || !_children.Remove(childPath))
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

    /// <summary>Names of the children, projected from their paths.</summary>
    private sealed class ChildNames(HashSet<string> paths) : IReadOnlyCollection<string>
    {
        public int Count => paths.Count;

        public IEnumerator<string> GetEnumerator()
        {
            foreach (var p in paths)
            {
                yield return p[(p.LastIndexOf('/') + 1)..];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
