using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client.Internal;

/// <summary>The client-side watch tables, as ZooKeeper's Java client keeps them.</summary>
internal enum WatchTable
{
    /// <summary>getData, or exists on a node that exists.</summary>
    Data = 0,

    /// <summary>exists on a node that does not exist (waits for NodeCreated).</summary>
    Exist = 1,

    /// <summary>getChildren.</summary>
    Child = 2,

    /// <summary>addWatch PERSISTENT.</summary>
    Persistent = 3,

    /// <summary>addWatch PERSISTENT_RECURSIVE.</summary>
    PersistentRecursive = 4,
}

/// <summary>A watch to add when its request succeeds.</summary>
internal sealed class WatchRegistration(WatchRegistry registry, string clientPath, Watcher watcher, WatchTable onOk, WatchTable? onNoNode = null)
{
    public Watcher Watcher { get; } = watcher;

    public void Register(ErrorCode code)
    {
        if (code == ErrorCode.Ok)
        {
            registry.Add(onOk, clientPath, Watcher);
        }
        else if (code == ErrorCode.NoNode && onNoNode is { } table)
        {
            registry.Add(table, clientPath, Watcher);
        }
    }
}

/// <summary>The paths of every watch, per table, for setWatches after a reconnect.</summary>
internal sealed record WatchSnapshot(
    IReadOnlyList<string> Data,
    IReadOnlyList<string> Exist,
    IReadOnlyList<string> Child,
    IReadOnlyList<string> Persistent,
    IReadOnlyList<string> PersistentRecursive)
{
    public bool IsEmpty => Data.Count + Exist.Count + Child.Count + Persistent.Count + PersistentRecursive.Count == 0;
}

/// <summary>
/// Client-side watchers by table and client path. One-shot watchers leave their table when they fire;
/// persistent ones stay until removed or the session ends. Thread-safe.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly Dictionary<string, HashSet<Watcher>>[] _tables = [new(), new(), new(), new(), new()];
    private readonly Lock _lock = new();

    public void Add(WatchTable table, string path, Watcher watcher)
    {
        lock (_lock)
        {
            var t = _tables[(int)table];
            if (!t.TryGetValue(path, out var set))
            {
                set = [];
                t[path] = set;
            }

            set.Add(watcher);
        }
    }

    /// <summary>The watchers a node event reaches; one-shot ones are removed.</summary>
    public HashSet<Watcher> Trigger(EventType type, string path)
    {
        var result = new HashSet<Watcher>();
        lock (_lock)
        {
            switch (type)
            {
                case EventType.NodeCreated:
                case EventType.NodeDataChanged:
                    Take(WatchTable.Data, path, result);
                    Take(WatchTable.Exist, path, result);
                    break;
                case EventType.NodeDeleted:
                    Take(WatchTable.Data, path, result);
                    Take(WatchTable.Exist, path, result);
                    Take(WatchTable.Child, path, result);
                    break;
                case EventType.NodeChildrenChanged:
                    Take(WatchTable.Child, path, result);
                    break;
            }

            if (_tables[(int)WatchTable.Persistent].TryGetValue(path, out var persistent))
            {
                result.UnionWith(persistent);
            }

            // Recursive watches match the node and all its ancestors, but never NodeChildrenChanged.
            if (type != EventType.NodeChildrenChanged && _tables[(int)WatchTable.PersistentRecursive].Count > 0)
            {
                foreach (var p in PathUtils.SelfAndAncestors(path))
                {
                    if (_tables[(int)WatchTable.PersistentRecursive].TryGetValue(p, out var recursive))
                    {
                        result.UnionWith(recursive);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Whether a watcher of <paramref name="type"/> (or <paramref name="watcher"/> itself, when given) is at <paramref name="path"/>.</summary>
    public bool Contains(string path, WatcherType type, Watcher? watcher = null)
    {
        lock (_lock)
        {
            foreach (var table in TablesOf(type))
            {
                if (_tables[(int)table].TryGetValue(path, out var set) && (watcher is null ? set.Count > 0 : set.Contains(watcher)))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether a watcher is at <paramref name="path"/> in a table that <paramref name="type"/> does not cover.</summary>
    public bool HasOthers(string path, WatcherType type)
    {
        var covered = TablesOf(type);
        lock (_lock)
        {
            for (var i = 0; i < _tables.Length; i++)
            {
                if (!covered.Contains((WatchTable)i) && _tables[i].TryGetValue(path, out var set) && set.Count > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Removes <paramref name="watcher"/> (or every watcher when null) of <paramref name="type"/> at
    /// <paramref name="path"/>; returns each removed watcher with the *WatchRemoved event it should get.
    /// </summary>
    public List<(Watcher Watcher, EventType Removed)> Remove(string path, WatcherType type, Watcher? watcher = null)
    {
        var removed = new List<(Watcher, EventType)>();
        lock (_lock)
        {
            foreach (var table in TablesOf(type))
            {
                var t = _tables[(int)table];
                if (!t.TryGetValue(path, out var set))
                {
                    continue;
                }

                var evt = table switch
                {
                    WatchTable.Child => EventType.ChildWatchRemoved,
                    WatchTable.Persistent or WatchTable.PersistentRecursive => EventType.PersistentWatchRemoved,
                    _ => EventType.DataWatchRemoved,
                };
                if (watcher is null)
                {
                    removed.AddRange(set.Select(w => (w, evt)));
                    t.Remove(path);
                }
                else if (set.Remove(watcher))
                {
                    removed.Add((watcher, evt));
                    if (set.Count == 0)
                    {
                        t.Remove(path);
                    }
                }
            }
        }

        return removed;
    }

    public WatchSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new(
                [.. _tables[(int)WatchTable.Data].Keys],
                [.. _tables[(int)WatchTable.Exist].Keys],
                [.. _tables[(int)WatchTable.Child].Keys],
                [.. _tables[(int)WatchTable.Persistent].Keys],
                [.. _tables[(int)WatchTable.PersistentRecursive].Keys]);
        }
    }

    /// <summary>Every distinct watcher; with <paramref name="clear"/>, the tables are emptied.</summary>
    public HashSet<Watcher> All(bool clear)
    {
        var result = new HashSet<Watcher>();
        lock (_lock)
        {
            foreach (var t in _tables)
            {
                foreach (var set in t.Values)
                {
                    result.UnionWith(set);
                }

                if (clear)
                {
                    t.Clear();
                }
            }
        }

        return result;
    }

    private void Take(WatchTable table, string path, HashSet<Watcher> into)
    {
        if (_tables[(int)table].Remove(path, out var set))
        {
            into.UnionWith(set);
        }
    }

    private static WatchTable[] TablesOf(WatcherType type) => type switch
    {
        WatcherType.Children => [WatchTable.Child],
        WatcherType.Data => [WatchTable.Data, WatchTable.Exist],
        WatcherType.Persistent => [WatchTable.Persistent],
        WatcherType.PersistentRecursive => [WatchTable.PersistentRecursive],
        WatcherType.Any => [WatchTable.Data, WatchTable.Exist, WatchTable.Child, WatchTable.Persistent, WatchTable.PersistentRecursive],
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown watcher type"),
    };
}
