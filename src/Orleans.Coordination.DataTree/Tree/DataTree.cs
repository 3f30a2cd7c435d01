using System.Buffers;
using System.Text;
using Orleans.Coordination.DataTree.Watches;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>A session as the replicated state knows it: its negotiated timeout and password.</summary>
public sealed record SessionEntry(long SessionId, int TimeOut, byte[] Passwd);

/// <summary>
/// The replicated state: every znode by path, the session table, ephemerals by owner, containers and
/// TTL nodes. Changed only by <see cref="Apply"/> of committed txns, in zxid order, on one thread.
/// </summary>
/// <remarks>
/// Each znode is one <see cref="NodeRecord"/> (a byte array holding its stat, path and data), or a
/// <see cref="Branch"/> around that record once it has children. The path table and every parent's child set are
/// <see cref="NodeTable"/>s of those entries, keyed by the path inside the record.
/// </remarks>
public sealed partial class DataTree
{
    public const string ZooKeeperPath = "/zookeeper";
    public const string QuotaPath = "/zookeeper/quota";
    public const string ConfigPath = "/zookeeper/config";

    private readonly NodeTable _nodes = new();
    private readonly AclTable _acls = new();
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];
    private readonly Dictionary<long, SessionEntry> _sessions = [];
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);

    public DataTree()
    {
        // As in ZooKeeper: the system nodes hold empty (not null) data, and /zookeeper/config has aversion -1.
        var root = new Branch(NodeRecord.Build(default, "/"u8, []), 0, 0);
        _nodes.Add(root, NodeRecord.Hash("/"u8));
        AddSystemNode(NodeRecord.Build(default, "/zookeeper"u8, []));
        AddSystemNode(NodeRecord.Build(default, "/zookeeper/quota"u8, []));
        AddSystemNode(NewConfigRecord(_acls));
        Digest = 0;
        foreach (var e in _nodes)
        {
            Digest += DigestOf(e);
        }
    }

    /// <summary>Watch tables; fired by <see cref="Apply"/>.</summary>
    public WatchManager Watches { get; } = new();

    /// <summary>The zxid of the last applied txn.</summary>
    public long LastZxid { get; private set; }

    /// <summary>An order-independent digest of every node (path, stat and data), kept up to date incrementally.</summary>
    public ulong Digest { get; private set; }

    public int NodeCount => _nodes.Count;

    public IReadOnlyDictionary<long, SessionEntry> Sessions => _sessions;

    public IReadOnlyCollection<string> Containers => _containers;

    public IReadOnlyCollection<string> TtlNodes => _ttls;

    public int EphemeralCount => _ephemerals.Values.Sum(s => s.Count);

    /// <summary>Every node with its path (decoded as enumerated; for tools and tests, not the request path).</summary>
    public IEnumerable<KeyValuePair<string, DataNode>> Nodes =>
        _nodes.Entries().Select(e => KeyValuePair.Create(Encoding.UTF8.GetString(NodeRecord.Path(NodeTable.RecordOf(e))), View(e)));

    public static bool IsReserved(string path) => path is "/" or ZooKeeperPath or QuotaPath or ConfigPath;

    public DataNode? Get(string path) => Find(path) is { } e ? View(e) : null;

    public bool TryGet(string path, out DataNode node)
    {
        node = Get(path)!;
        return node is not null;
    }

    /// <summary>Whether a node exists at <paramref name="path"/>, without building a view of it.</summary>
    public bool Contains(string path) => Find(path) is not null;

    /// <summary>The ephemeral paths a session owns (empty if none).</summary>
    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var set) ? set : [];

    public IEnumerable<KeyValuePair<long, HashSet<string>>> AllEphemerals => _ephemerals;

    /// <summary>Number of distinct ACL lists the nodes use.</summary>
    internal int AclCount => _acls.Count;

    /// <summary>Number of descendants of <paramref name="path"/> (not counting itself).</summary>
    public int CountDescendants(string path)
    {
        if (Find(path) is not Branch start)
        {
            return 0;
        }

        var total = 0;
        var stack = new Stack<Branch>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            foreach (var child in stack.Pop().Children)
            {
                total++;
                if (child is Branch b)
                {
                    stack.Push(b);
                }
            }
        }

        return total;
    }

    /// <summary>Sets the zxid a freshly loaded snapshot or a recovered log reached.</summary>
    public void SetLastZxid(long zxid) => LastZxid = zxid;

    /// <summary>The stat of an entry: its record's, with a branch's child-change fields laid over it.</summary>
    private static NodeFields FieldsOf(object entry)
    {
        if (entry is Branch b)
        {
            var f = NodeRecord.Decode(b.Record);
            f.Pzxid = b.Pzxid;
            f.Cversion = b.Cversion;
            return f;
        }

        return NodeRecord.Decode((byte[])entry);
    }

    private DataNode View(object entry)
    {
        var f = FieldsOf(entry);
        return new DataNode(f, NodeTable.RecordOf(entry), _acls[f.AclIndex], entry as Branch);
    }

    private static Stat StatOf(object entry)
    {
        var f = FieldsOf(entry);
        var n = entry is Branch b ? b.Children.Count : 0;
        var record = NodeTable.RecordOf(entry);
        return new Stat(
            f.Czxid,
            f.Mzxid,
            f.Ctime,
            f.Mtime,
            f.Version,
            unchecked((f.Cversion * 2) - n),
            f.Aversion,
            EphemeralOwners.Visible(f.EphemeralOwner),
            record.Length - f.DataStart,
            n,
            f.Pzxid);
    }

    /// <summary>The entry at <paramref name="path"/>, looked up by its UTF-8 bytes without allocating.</summary>
    private object? Find(ReadOnlySpan<char> path)
    {
        var max = Encoding.UTF8.GetMaxByteCount(path.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var bytes = buffer[..Encoding.UTF8.GetBytes(path, buffer)];
            return _nodes.Get(bytes, NodeRecord.Hash(bytes));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The parent's path within a child's: up to the last '/', or "/" for a child of the root.</summary>
    private static ReadOnlySpan<byte> ParentOf(ReadOnlySpan<byte> path)
    {
        var slash = path.LastIndexOf((byte)'/');
        return slash <= 0 ? path[..1] : path[..slash];
    }

    /// <summary>
    /// The branch of the node at <paramref name="path"/>, turning a leaf into one (the parent's child set and the path
    /// table then hold the branch). Null if there is no such node.
    /// </summary>
    private Branch? BranchAt(ReadOnlySpan<byte> path, uint hash)
    {
        var slot = _nodes.Find(path, hash);
        return slot < 0 ? null : BranchAt(slot, path, hash);
    }

    /// <summary>The branch of the node in <paramref name="slot"/> of the path table (see the overload by path).</summary>
    private Branch BranchAt(int slot, ReadOnlySpan<byte> path, uint hash)
    {
        var entry = _nodes.SlotValue(slot);
        if (entry is Branch b)
        {
            return b;
        }

        var record = (byte[])entry;
        var f = NodeRecord.Decode(record);
        var branch = new Branch(record, f.Pzxid, f.Cversion);
        _nodes.SetSlot(slot, branch);
        if (path.Length > 1 && _nodes.Get(ParentOf(path), NodeRecord.Hash(ParentOf(path))) is Branch parent)
        {
            parent.Children.Replace(path, hash, branch);
        }

        return branch;
    }

    /// <summary>Puts a rebuilt record in the place of the node's current one.</summary>
    private void Replace(object entry, int slot, ReadOnlySpan<byte> path, uint hash, byte[] record)
    {
        if (entry is Branch b)
        {
            b.Record = record;
            return;
        }

        _nodes.SetSlot(slot, record);
        if (_nodes.Get(ParentOf(path), NodeRecord.Hash(ParentOf(path))) is Branch parent)
        {
            parent.Children.Replace(path, hash, record);
        }
    }

    private void AddSystemNode(byte[] record)
    {
        var path = NodeRecord.Path(record);
        var hash = NodeRecord.Hash(path);
        _nodes.Add(record, hash);
        BranchAt(ParentOf(path), NodeRecord.Hash(ParentOf(path)))!.Children.Add(record, hash);
    }
}
