using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.DataTree.Paths;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Watches;

/// <summary>
/// Server-side watch tables: one-shot data and child watches, persistent watches (both tables) and
/// persistent recursive watches (data table only, matching every descendant). One watch per
/// (watcher, path, kind): several client watchers on one path produce one event.
/// </summary>
public sealed class WatchManager
{
    private readonly Dictionary<string, HashSet<IWatcher>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IWatcher>> _child = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IWatcher>> _persistent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IWatcher>> _recursive = new(StringComparer.Ordinal);
    private readonly Dictionary<IWatcher, HashSet<(string Path, WatchKind Kind)>> _byWatcher = [];
    private readonly HashSet<IWatcher> _fired = [];

    private enum WatchKind
    {
        Data,
        Child,
        Persistent,
        Recursive,
    }

    /// <summary>Total number of watches across all tables.</summary>
    public int Count => _byWatcher.Values.Sum(s => s.Count);

    public int WatcherCount => _byWatcher.Count;

    public int PathCount => _data.Keys.Concat(_child.Keys).Concat(_persistent.Keys).Concat(_recursive.Keys).Distinct().Count();

    public void AddDataWatch(string path, IWatcher w) => Add(_data, path, w, WatchKind.Data);

    public void AddChildWatch(string path, IWatcher w) => Add(_child, path, w, WatchKind.Child);

    public void AddPersistentWatch(string path, IWatcher w, bool recursive) =>
        Add(recursive ? _recursive : _persistent, path, w, recursive ? WatchKind.Recursive : WatchKind.Persistent);

    /// <summary>Whether a watch of <paramref name="type"/> exists for the watcher at <paramref name="path"/>.</summary>
    public bool Contains(string path, IWatcher w, WatcherType type) => type switch
    {
        WatcherType.Children => Has(_child, path, w),
        WatcherType.Data => Has(_data, path, w),
        WatcherType.Persistent => Has(_persistent, path, w),
        WatcherType.PersistentRecursive => Has(_recursive, path, w),
        WatcherType.Any => Has(_child, path, w) || Has(_data, path, w) || Has(_persistent, path, w) || Has(_recursive, path, w),
        _ => false,
    };

    /// <summary>Removes the watcher's watches of <paramref name="type"/> at <paramref name="path"/>; false if none.</summary>
    public bool Remove(string path, IWatcher w, WatcherType type)
    {
        var removed = false;
        if (type is WatcherType.Children or WatcherType.Any)
        {
            removed |= RemoveOne(_child, path, w, WatchKind.Child);
        }

        if (type is WatcherType.Data or WatcherType.Any)
        {
            removed |= RemoveOne(_data, path, w, WatchKind.Data);
        }

        if (type is WatcherType.Persistent or WatcherType.Any)
        {
            removed |= RemoveOne(_persistent, path, w, WatchKind.Persistent);
        }

        if (type is WatcherType.PersistentRecursive or WatcherType.Any)
        {
            removed |= RemoveOne(_recursive, path, w, WatchKind.Recursive);
        }

        return removed;
    }

    /// <summary>Drops every watch of a watcher (its connection closed).</summary>
    public void RemoveWatcher(IWatcher w)
    {
        if (!_byWatcher.Remove(w, out var entries))
        {
            return;
        }

        foreach (var (path, kind) in entries)
        {
            var table = TableOf(kind);
            if (table.TryGetValue(path, out var set) && set.Remove(w) && set.Count == 0)
            {
                table.Remove(path);
            }
        }
    }

    /// <summary>Fires the watches a node creation triggers.</summary>
    public void NodeCreated(string path, IReadOnlyList<Acl> acl, IReadOnlyList<Acl> parentAcl, long zxid)
    {
        _fired.Clear();
        FireData(path, EventType.NodeCreated, acl, zxid);
        _fired.Clear();
        FireChild(PathUtils.Parent(path), EventType.NodeChildrenChanged, parentAcl, zxid);
    }

    /// <summary>Fires the watches a node deletion triggers.</summary>
    public void NodeDeleted(string path, IReadOnlyList<Acl> acl, IReadOnlyList<Acl> parentAcl, long zxid)
    {
        _fired.Clear();
        FireData(path, EventType.NodeDeleted, acl, zxid);
        FireChild(path, EventType.NodeDeleted, acl, zxid);
        _fired.Clear();
        FireChild(PathUtils.Parent(path), EventType.NodeChildrenChanged, parentAcl, zxid);
    }

    /// <summary>Fires the watches a data change triggers.</summary>
    public void NodeDataChanged(string path, IReadOnlyList<Acl> acl, long zxid)
    {
        _fired.Clear();
        FireData(path, EventType.NodeDataChanged, acl, zxid);
    }

    /// <summary>(session, path) pairs of every watch, for wchc/wchp.</summary>
    public IEnumerable<(long SessionId, string Path)> Entries() =>
        _byWatcher.SelectMany(kv => kv.Value.Select(e => (kv.Key.SessionId, e.Path))).Distinct();

    private void FireData(string path, EventType type, IReadOnlyList<Acl> acl, long zxid)
    {
        if (_data.Remove(path, out var oneShot))
        {
            foreach (var w in oneShot)
            {
                Forget(w, path, WatchKind.Data);
                Deliver(w, type, path, acl, zxid);
            }
        }

        if (_persistent.TryGetValue(path, out var persistent))
        {
            foreach (var w in persistent)
            {
                Deliver(w, type, path, acl, zxid);
            }
        }

        if (_recursive.Count == 0)
        {
            return;
        }

        // A recursive watch matches the path itself and each of its ancestors.
        var p = path;
        while (true)
        {
            if (_recursive.TryGetValue(p, out var recursive))
            {
                foreach (var w in recursive)
                {
                    Deliver(w, type, path, acl, zxid);
                }
            }

            if (p == "/")
            {
                break;
            }

            p = PathUtils.Parent(p);
        }
    }

    private void FireChild(string path, EventType type, IReadOnlyList<Acl> acl, long zxid)
    {
        if (_child.Remove(path, out var oneShot))
        {
            foreach (var w in oneShot)
            {
                Forget(w, path, WatchKind.Child);
                Deliver(w, type, path, acl, zxid);
            }
        }

        if (_persistent.TryGetValue(path, out var persistent))
        {
            foreach (var w in persistent)
            {
                Deliver(w, type, path, acl, zxid);
            }
        }
    }

    private void Deliver(IWatcher w, EventType type, string path, IReadOnlyList<Acl> acl, long zxid)
    {
        if (!_fired.Add(w))
        {
            return;
        }

        if (AclEvaluator.Allows(acl, Perms.Read, w.AuthIds))
        {
            w.Deliver(type, path, zxid);
        }
    }

    private void Add(Dictionary<string, HashSet<IWatcher>> table, string path, IWatcher w, WatchKind kind)
    {
        if (!table.TryGetValue(path, out var set))
        {
            set = [];
            table[path] = set;
        }

        if (set.Add(w))
        {
            if (!_byWatcher.TryGetValue(w, out var entries))
            {
                entries = [];
                _byWatcher[w] = entries;
            }

            entries.Add((path, kind));
        }
    }

    private static bool Has(Dictionary<string, HashSet<IWatcher>> table, string path, IWatcher w) =>
        table.TryGetValue(path, out var set) && set.Contains(w);

    private bool RemoveOne(Dictionary<string, HashSet<IWatcher>> table, string path, IWatcher w, WatchKind kind)
    {
        if (!table.TryGetValue(path, out var set) || !set.Remove(w))
        {
            return false;
        }

        if (set.Count == 0)
        {
            table.Remove(path);
        }

        Forget(w, path, kind);
        return true;
    }

    private void Forget(IWatcher w, string path, WatchKind kind)
    {
        if (_byWatcher.TryGetValue(w, out var entries) && entries.Remove((path, kind)) && entries.Count == 0)
        {
            _byWatcher.Remove(w);
        }
    }

    private Dictionary<string, HashSet<IWatcher>> TableOf(WatchKind kind) => kind switch
    {
        WatchKind.Data => _data,
        WatchKind.Child => _child,
        WatchKind.Persistent => _persistent,
        _ => _recursive,
    };
}
