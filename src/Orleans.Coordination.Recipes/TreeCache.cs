using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>What a <see cref="TreeCacheEvent"/> reports.</summary>
public enum TreeCacheEventType
{
    /// <summary>A node appeared (also raised for every node of the first load).</summary>
    NodeAdded,

    /// <summary>A node's data changed.</summary>
    NodeUpdated,

    /// <summary>A node went away.</summary>
    NodeRemoved,

    /// <summary>The first load finished: the cache holds the whole tree.</summary>
    Initialized,

    /// <summary>The connection was lost (or the session ended): the cache may be stale until <see cref="Resynchronized"/>.</summary>
    ConnectionSuspended,

    /// <summary>The cache re-read the tree after a reconnect (or a renewed session); differences were raised before this.</summary>
    Resynchronized,
}

/// <summary>One change seen by a <see cref="TreeCache"/>.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Path">The node's path (null for the connection events).</param>
/// <param name="Data">The node as now cached (for NodeRemoved: as it was last cached).</param>
public sealed record TreeCacheEvent(TreeCacheEventType Type, string? Path, NodeData? Data);

/// <summary>
/// A local copy of a whole subtree, kept current (Curator's TreeCache / CuratorCache).
/// <para>
/// <b>How.</b> <see cref="StartAsync"/> adds one persistent recursive watch on the root
/// (<see cref="AddWatchMode.PersistentRecursive"/>) before reading the tree, so nothing between the two is missed.
/// Every NodeCreated loads that subtree, NodeDataChanged re-reads the node, NodeDeleted drops it and what is below it.
/// After a reconnect (stream event None/SyncConnected) or a renewed session the whole tree is read again and compared
/// with the cache, and the differences are raised as events, because changes made while disconnected are not
/// replayed.
/// </para>
/// <para>
/// <b>Guarantees.</b> The cache converges to the server's tree once changes stop; events are raised in order from the
/// cache's loop, once per observed node version (fast successive writes may be seen only as the last). Reads of the
/// cache are thread-safe.
/// </para>
/// <code>
/// await using var tree = new TreeCache(client, "/services");
/// tree.Changed += (_, e) => Console.WriteLine($"{e.Type} {e.Path}");
/// await tree.StartAsync();
/// var children = tree.GetChildren("/services");
/// </code>
/// </summary>
public sealed class TreeCache : IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeData> _nodes = new(StringComparer.Ordinal);
    private PersistentWatch? _watch;
    private Task? _loop;
    private long _session;
    private int _disposed;

    /// <summary>Creates a cache of the tree at <paramref name="rootPath"/> (which need not exist); call <see cref="StartAsync"/>.</summary>
    public TreeCache(CoordinationClient client, string rootPath, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        RootPath = ZkPaths.Validate(rootPath, nameof(rootPath));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The cached tree's root.</summary>
    public string RootPath { get; }

    /// <summary>Whether the cache is in step with the server.</summary>
    public bool IsSynchronized { get; private set; }

    /// <summary>Raised for every change, in order, from the cache's loop (handlers should be quick).</summary>
    public event EventHandler<TreeCacheEvent>? Changed;

    /// <summary>How many nodes are cached.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count;
            }
        }
    }

    /// <summary>The cached node at <paramref name="path"/>, or null.</summary>
    public NodeData? GetData(string path)
    {
        lock (_lock)
        {
            return _nodes.GetValueOrDefault(path);
        }
    }

    /// <summary>The cached children of <paramref name="path"/> by name (empty when it has none or is not cached).</summary>
    public IReadOnlyDictionary<string, NodeData> GetChildren(string path)
    {
        var prefix = path == "/" ? "/" : path + "/";
        lock (_lock)
        {
            return _nodes
                .Where(kv => kv.Key.Length > prefix.Length && kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Key.IndexOf('/', prefix.Length) < 0)
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>A copy of the whole cache, by path.</summary>
    public IReadOnlyDictionary<string, NodeData> Snapshot()
    {
        lock (_lock)
        {
            return new Dictionary<string, NodeData>(_nodes, StringComparer.Ordinal);
        }
    }

    /// <summary>Adds the watch, loads the tree, and keeps it current until disposed. Returns after the first load.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_loop is not null)
        {
            throw new InvalidOperationException("the cache was already started");
        }

        await SubscribeAsync(initial: true, cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Stops watching; the cache keeps its last content.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_watch is not null)
        {
            await _watch.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SubscribeAsync(bool initial, CancellationToken cancellationToken)
    {
        _session = _client.SessionId;
        _watch = await _client.RetryAsync(ct => _client.AddWatchAsync(RootPath, AddWatchMode.PersistentRecursive, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
        await ResyncAsync(initial, cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_watch is null)
                {
                    await SubscribeAsync(initial: false, stop).ConfigureAwait(false);
                }

                await foreach (var e in _watch!.WithCancellation(stop).ConfigureAwait(false))
                {
                    await OnEventAsync(e, stop).ConfigureAwait(false);
                }

                // The stream ended: the session expired or the client closed.
                Suspend();
                _watch = null;
                if (!await ClientStates.WaitForNewSessionAsync(_client, _session, stop).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                Suspend();
                return;
            }
            catch (Exception e)
            {
                _logger.LogDebug(e, "Tree cache {Path}: update failed", RootPath);
                Suspend();
                try
                {
                    if (e is SessionExpiredException)
                    {
                        if (_watch is not null)
                        {
                            await _watch.DisposeAsync().ConfigureAwait(false);
                            _watch = null;
                        }

                        if (!await ClientStates.WaitForNewSessionAsync(_client, _session, stop).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                    else
                    {
                        await Task.Delay(200, stop).ConfigureAwait(false);
                        if (_watch is not null)
                        {
                            await ResyncAsync(initial: false, stop).ConfigureAwait(false);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception)
                {
                    // Next round.
                }
            }
        }
    }

    private async Task OnEventAsync(WatchEvent e, CancellationToken stop)
    {
        switch (e.Type)
        {
            case EventType.None when e.State == KeeperState.Disconnected:
                Suspend();
                break;
            case EventType.None when e.State == KeeperState.SyncConnected:
                await ResyncAsync(initial: false, stop).ConfigureAwait(false);
                break;
            case EventType.NodeCreated when e.Path is not null:
                var loaded = new Dictionary<string, NodeData>(StringComparer.Ordinal);
                await LoadAsync(e.Path, loaded, stop).ConfigureAwait(false);
                if (loaded.Count == 0)
                {
                    RemoveSubtree(e.Path);
                }

                foreach (var node in loaded.Values.OrderBy(n => n.Path.Length))
                {
                    Put(node);
                }

                break;
            case EventType.NodeDataChanged when e.Path is not null:
                var data = await ReadAsync(e.Path, stop).ConfigureAwait(false);
                if (data is null)
                {
                    RemoveSubtree(e.Path);
                }
                else
                {
                    Put(data);
                }

                break;
            case EventType.NodeDeleted when e.Path is not null:
                RemoveSubtree(e.Path);
                break;
        }
    }

    /// <summary>Reads the whole tree and raises the differences with the cache.</summary>
    private async Task ResyncAsync(bool initial, CancellationToken cancellationToken)
    {
        var loaded = new Dictionary<string, NodeData>(StringComparer.Ordinal);
        await LoadAsync(RootPath, loaded, cancellationToken).ConfigureAwait(false);
        List<NodeData> removed;
        lock (_lock)
        {
            removed = [.. _nodes.Values.Where(n => !loaded.ContainsKey(n.Path))];
        }

        foreach (var node in removed.OrderByDescending(n => n.Path.Length))
        {
            RemoveSubtree(node.Path);
        }

        foreach (var node in loaded.Values.OrderBy(n => n.Path.Length).ThenBy(n => n.Path, StringComparer.Ordinal))
        {
            Put(node);
        }

        IsSynchronized = true;
        Raise(new TreeCacheEvent(initial ? TreeCacheEventType.Initialized : TreeCacheEventType.Resynchronized, null, null));
    }

    /// <summary>Reads <paramref name="path"/> and everything below it into <paramref name="into"/>; each level's reads are pipelined.</summary>
    private async Task LoadAsync(string path, Dictionary<string, NodeData> into, CancellationToken cancellationToken)
    {
        var level = new List<string> { path };
        while (level.Count > 0)
        {
            var reads = level.Select(p => ReadWithChildrenAsync(p, cancellationToken)).ToList();
            await Task.WhenAll(reads).ConfigureAwait(false);
            var next = new List<string>();
            foreach (var read in reads)
            {
                if (read.Result is var (node, children))
                {
                    into[node.Path] = node;
                    next.AddRange(children.Select(c => ZkPaths.Join(node.Path, c)));
                }
            }

            level = next;
        }
    }

    private async Task<(NodeData Node, IReadOnlyList<string> Children)?> ReadWithChildrenAsync(string path, CancellationToken cancellationToken)
    {
        var node = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (node is null)
        {
            return null;
        }

        if (node.Stat.NumChildren == 0)
        {
            return (node, []);
        }

        try
        {
            var children = await _client.RetryAsync(ct => _client.GetChildrenAsync(path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return (node, children);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    private async Task<NodeData?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _client.RetryAsync(ct => _client.GetDataAsync(path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new NodeData(path, result.Data, result.Stat);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    private void Put(NodeData node)
    {
        TreeCacheEventType type;
        lock (_lock)
        {
            if (_nodes.TryGetValue(node.Path, out var existing))
            {
                if (node.IsSameVersion(existing) || (existing.Stat.Czxid == node.Stat.Czxid && node.Stat.Mzxid < existing.Stat.Mzxid))
                {
                    return;
                }

                type = TreeCacheEventType.NodeUpdated;
            }
            else
            {
                type = TreeCacheEventType.NodeAdded;
            }

            _nodes[node.Path] = node;
        }

        Raise(new TreeCacheEvent(type, node.Path, node));
    }

    private void RemoveSubtree(string path)
    {
        var prefix = path == "/" ? "/" : path + "/";
        List<NodeData> removed;
        lock (_lock)
        {
            removed = [.. _nodes.Values.Where(n => n.Path == path || n.Path.StartsWith(prefix, StringComparison.Ordinal)).OrderByDescending(n => n.Path.Length)];
            foreach (var node in removed)
            {
                _nodes.Remove(node.Path);
            }
        }

        foreach (var node in removed)
        {
            Raise(new TreeCacheEvent(TreeCacheEventType.NodeRemoved, node.Path, node));
        }
    }

    private void Suspend()
    {
        if (IsSynchronized)
        {
            IsSynchronized = false;
            Raise(new TreeCacheEvent(TreeCacheEventType.ConnectionSuspended, null, null));
        }
    }

    private void Raise(TreeCacheEvent e)
    {
        try
        {
            Changed?.Invoke(this, e);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "A tree cache handler threw");
        }
    }
}
