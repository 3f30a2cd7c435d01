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
/// <see cref="NodeBox"/> around that record once it has children or data longer than <see cref="NodeBox.InlineLimit"/>. The path table and every parent's child set are
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
        var root = new NodeBox(NodeRecord.Build(default, "/"u8, []), 0, 0);
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
        if (Find(path) is not NodeBox { ChildCount: > 0 } start)
        {
            return 0;
        }

        var total = 0;
        var stack = new Stack<NodeBox>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            foreach (var child in stack.Pop().Children)
            {
                total++;
                if (child is NodeBox { ChildCount: > 0 } b)
                {
                    stack.Push(b);
                }
            }
        }

        return total;
    }

    /// <summary>Sets the zxid a freshly loaded snapshot or a recovered log reached.</summary>
    public void SetLastZxid(long zxid) => LastZxid = zxid;

    /// <summary>The stat of an entry: its record's, with a box's child-change fields laid over it.</summary>
    private static NodeFields FieldsOf(object entry)
    {
        if (entry is NodeBox b)
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
        return new DataNode(f, DataOf(entry, f), _acls[f.AclIndex], entry as NodeBox);
    }

    /// <summary>The data of an entry: in its box's own array, or the record's data region (empty for null data).</summary>
    private static ReadOnlyMemory<byte> DataOf(object entry, in NodeFields f) =>
        entry is NodeBox { Data: { } data } ? data : NodeTable.RecordOf(entry).AsMemory(f.DataStart);

    private static Stat StatOf(object entry)
    {
        var f = FieldsOf(entry);
        var n = entry is NodeBox b ? b.ChildCount : 0;
        return new Stat(
            f.Czxid,
            f.Mzxid,
            f.Ctime,
            f.Mtime,
            f.Version,
            unchecked((f.Cversion * 2) - n),
            f.Aversion,
            EphemeralOwners.Visible(f.EphemeralOwner),
            DataOf(entry, f).Length,
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
    /// The box of the node at <paramref name="path"/>, turning a bare record into one (the parent's child set and the
    /// path table then hold the box). Null if there is no such node.
    /// </summary>
    private NodeBox? BoxAt(ReadOnlySpan<byte> path, uint hash)
    {
        var slot = _nodes.Find(path, hash);
        return slot < 0 ? null : BoxAt(slot, path, hash);
    }

    /// <summary>The box of the node in <paramref name="slot"/> of the path table (see the overload by path).</summary>
    private NodeBox BoxAt(int slot, ReadOnlySpan<byte> path, uint hash)
    {
        var entry = _nodes.SlotValue(slot);
        if (entry is NodeBox b)
        {
            return b;
        }

        var box = NewBox((byte[])entry);
        _nodes.SetSlot(slot, box);
        if (path.Length > 1 && _nodes.Get(ParentOf(path), NodeRecord.Hash(ParentOf(path))) is NodeBox parent)
        {
            parent.Children.Replace(path, hash, box);
        }

        return box;
    }

    /// <summary>
    /// Stores the node with new stat <paramref name="f"/> and data: <paramref name="data"/> when given (null data when
    /// <paramref name="f"/> says so), else <paramref name="keep"/>'s bytes. Data longer than
    /// <see cref="NodeBox.InlineLimit"/> given as an array is kept as that array; anything else goes in the record.
    /// Returns the node's entry afterwards.
    /// </summary>
    private object Rewrite(object entry, int slot, ReadOnlySpan<byte> path, uint hash, NodeFields f, byte[]? data, ReadOnlySpan<byte> keep)
    {
        var external = !f.DataIsNull && data is { Length: > NodeBox.InlineLimit };
        var inline = external ? default : data is not null ? data : keep;
        var record = NodeRecord.Build(f, path, inline);
        if (entry is NodeBox box)
        {
            box.Record = record;
            box.Data = external ? data : null;
            return box;
        }

        object replacement = record;
        if (external)
        {
            replacement = new NodeBox(record, f.Pzxid, f.Cversion) { Data = data };
        }

        _nodes.SetSlot(slot, replacement);
        if (_nodes.Get(ParentOf(path), NodeRecord.Hash(ParentOf(path))) is NodeBox parent)
        {
            parent.Children.Replace(path, hash, replacement);
        }

        return replacement;
    }

    private void AddSystemNode(byte[] record)
    {
        var path = NodeRecord.Path(record);
        var hash = NodeRecord.Hash(path);
        _nodes.Add(record, hash);
        BoxAt(ParentOf(path), NodeRecord.Hash(ParentOf(path)))!.Children.Add(record, hash);
    }
}
