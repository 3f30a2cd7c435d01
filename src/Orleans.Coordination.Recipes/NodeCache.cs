using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>Arguments of <see cref="NodeCache.Changed"/>.</summary>
/// <param name="Previous">The node before the change (null: it did not exist).</param>
/// <param name="Current">The node after the change (null: it does not exist).</param>
public sealed record NodeCacheChangedEventArgs(NodeData? Previous, NodeData? Current);

/// <summary>
/// A local copy of one node's data, kept current (Curator's NodeCache / CuratorCache for a single node).
/// <para>
/// <b>How.</b> <see cref="StartAsync"/> adds a persistent watch on the node (<see cref="AddWatchMode.Persistent"/>)
/// and then reads it, so no change between the two is missed; every later event re-reads the node (events carry no
/// data). After a reconnect the watch stream yields None/SyncConnected and the cache re-reads, because changes made
/// while disconnected are not replayed. If the session expires and the client renews it, the watch is added again.
/// </para>
/// <para>
/// <b>Guarantees.</b> <see cref="Current"/> moves forward only: it is the node as of some recent read, and
/// <see cref="Changed"/> is raised once per observed version, in order, from the cache's own loop (intermediate
/// versions written faster than they can be read are skipped). While <see cref="IsSynchronized"/> is false (between a
/// disconnect and the re-read, or after the session was lost) the value may be stale.
/// </para>
/// <code>
/// await using var cache = new NodeCache(client, "/config/feature-flags");
/// cache.Changed += (_, e) => Console.WriteLine($"now {e.Current?.Data.Length ?? -1} bytes");
/// await cache.StartAsync();
/// byte[]? flags = cache.Current?.Data;
/// </code>
/// </summary>
public sealed class NodeCache : IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _applyLock = new();
    private PersistentWatch? _watch;
    private NodeData? _current;
    private Task? _loop;
    private long _session;
    private volatile bool _synchronized;
    private int _disposed;

    /// <summary>Creates a cache of <paramref name="path"/> (which need not exist); call <see cref="StartAsync"/>.</summary>
    public NodeCache(CoordinationClient client, string path, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The cached node's path.</summary>
    public string Path { get; }

    /// <summary>The node as last read; null when it does not exist (or before <see cref="StartAsync"/>).</summary>
    public NodeData? Current => Volatile.Read(ref _current);

    /// <summary>Whether the cache is in step with the server (false while disconnected and until the re-read after it).</summary>
    public bool IsSynchronized => _synchronized;

    /// <summary>Raised for every new version of the node (creation, data change, deletion), in order.</summary>
    public event EventHandler<NodeCacheChangedEventArgs>? Changed;

    /// <summary>Raised when <see cref="IsSynchronized"/> changes.</summary>
    public event EventHandler<bool>? SynchronizationChanged;

    /// <summary>Adds the watch, reads the node, and keeps it current until disposed. Returns after the first read.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_loop is not null)
        {
            throw new InvalidOperationException("the cache was already started");
        }

        await SubscribeAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Re-reads the node now (normally not needed).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        NodeData? read;
        try
        {
            var result = await _client.RetryAsync(ct => _client.GetDataAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            read = new NodeData(Path, result.Data, result.Stat);
        }
        catch (NoNodeException)
        {
            read = null;
        }

        Apply(read);
    }

    /// <summary>Stops watching; <see cref="Current"/> keeps its last value.</summary>
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

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        _session = _client.SessionId;
        _watch = await _client.RetryAsync(ct => _client.AddWatchAsync(Path, AddWatchMode.Persistent, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        SetSynchronized(true);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_watch is null)
                {
                    await SubscribeAsync(stop).ConfigureAwait(false);
                }

                await foreach (var e in _watch!.WithCancellation(stop).ConfigureAwait(false))
                {
                    await OnEventAsync(e, stop).ConfigureAwait(false);
                }

                // The stream ended: the session expired or the client closed.
                SetSynchronized(false);
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
                SetSynchronized(false);
                return;
            }
            catch (Exception e)
            {
                _logger.LogDebug(e, "Node cache {Path}: refresh failed", Path);
                SetSynchronized(false);
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
                    try
                    {
                        await Task.Delay(200, stop).ConfigureAwait(false);
                        if (_watch is not null)
                        {
                            await RefreshAsync(stop).ConfigureAwait(false);
                            SetSynchronized(true);
                        }
                    }
                    catch (Exception)
                    {
                        // Next round.
                    }
                }
            }
        }
    }

    private async Task OnEventAsync(WatchEvent e, CancellationToken stop)
    {
        if (e.Type == EventType.None)
        {
            if (e.State == KeeperState.Disconnected)
            {
                SetSynchronized(false);
            }
            else if (e.State == KeeperState.SyncConnected)
            {
                await RefreshAsync(stop).ConfigureAwait(false);
                SetSynchronized(true);
            }

            return;
        }

        if (e.Type is EventType.NodeCreated or EventType.NodeDataChanged or EventType.NodeDeleted)
        {
            await RefreshAsync(stop).ConfigureAwait(false);
        }
    }

    private void Apply(NodeData? read)
    {
        lock (_applyLock)
        {
            ApplyLocked(read);
        }
    }

    private void ApplyLocked(NodeData? read)
    {
        var previous = Volatile.Read(ref _current);
        if (read is null ? previous is null : read.IsSameVersion(previous))
        {
            return;
        }

        if (read is not null && previous is not null && read.Stat.Czxid == previous.Stat.Czxid && read.Stat.Mzxid < previous.Stat.Mzxid)
        {
            // An older read finishing late: never go back.
            return;
        }

        Volatile.Write(ref _current, read);
        try
        {
            Changed?.Invoke(this, new NodeCacheChangedEventArgs(previous, read));
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "A node cache handler threw");
        }
    }

    private void SetSynchronized(bool synchronized)
    {
        if (_synchronized == synchronized)
        {
            return;
        }

        _synchronized = synchronized;
        try
        {
            SynchronizationChanged?.Invoke(this, synchronized);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "A node cache handler threw");
        }
    }
}
