using Orleans.Coordination.DataTree.Paths;
using Orleans.Coordination.DataTree.Watches;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>A session as the replicated state knows it: its negotiated timeout and password.</summary>
public sealed record SessionEntry(long SessionId, int TimeOut, byte[] Passwd);

/// <summary>
/// The replicated state: every znode by path, the session table, ephemerals by owner, containers and
/// TTL nodes. Changed only by <see cref="Apply"/> of committed txns, in zxid order, on one thread.
/// </summary>
public sealed partial class DataTree
{
    public const string ZooKeeperPath = "/zookeeper";
    public const string QuotaPath = "/zookeeper/quota";
    public const string ConfigPath = "/zookeeper/config";

    private readonly Dictionary<string, DataNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];
    private readonly Dictionary<long, SessionEntry> _sessions = [];
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);

    public DataTree()
    {
        // As in ZooKeeper: the system nodes hold empty (not null) data, and /zookeeper/config has aversion -1.
        var root = new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0);
        _nodes["/"] = root;
        AddSystemNode(ZooKeeperPath, new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0));
        AddSystemNode(QuotaPath, new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0));
        AddSystemNode(ConfigPath, NewConfigNode());
        Digest = 0;
        foreach (var (path, node) in _nodes)
        {
            Digest += DigestOf(path, node);
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

    public IEnumerable<KeyValuePair<string, DataNode>> Nodes => _nodes;

    public static bool IsReserved(string path) => path is "/" or ZooKeeperPath or QuotaPath or ConfigPath;

    public DataNode? Get(string path) => _nodes.GetValueOrDefault(path);

    public bool TryGet(string path, out DataNode node) => _nodes.TryGetValue(path, out node!);

    /// <summary>The ephemeral paths a session owns (empty if none).</summary>
    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var set) ? set : [];

    public IEnumerable<KeyValuePair<long, HashSet<string>>> AllEphemerals => _ephemerals;

    /// <summary>Number of descendants of <paramref name="path"/> (not counting itself).</summary>
    public int CountDescendants(string path)
    {
        if (!_nodes.TryGetValue(path, out var node))
        {
            return 0;
        }

        var total = 0;
        var stack = new Stack<(string, DataNode)>();
        stack.Push((path, node));
        while (stack.Count > 0)
        {
            var (p, n) = stack.Pop();
            foreach (var cp in n.ChildPaths)
            {
                if (_nodes.TryGetValue(cp, out var cn))
                {
                    total++;
                    stack.Push((cp, cn));
                }
            }
        }

        return total;
    }

    /// <summary>Sets the zxid a freshly loaded snapshot or a recovered log reached.</summary>
    public void SetLastZxid(long zxid) => LastZxid = zxid;

    private void AddSystemNode(string path, DataNode node)
    {
        _nodes[path] = node;
        _nodes[PathUtils.Parent(path)].AddChild(path);
    }
}
