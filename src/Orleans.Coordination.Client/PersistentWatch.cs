using Orleans.Coordination.Client.Internal;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client;

/// <summary>
/// A persistent or persistent-recursive watch (addWatch) as a stream of events. It stays registered after it fires,
/// and survives reconnects (re-added with setWatches2); changes made while disconnected are not replayed, which the
/// stream signals with a <see cref="KeeperState.Disconnected"/> and then a <see cref="KeeperState.SyncConnected"/>
/// event, so a cache knows to re-read. Recursive watches see every node below the path but no NodeChildrenChanged.
/// The stream ends after a PersistentWatchRemoved, Expired or Closed event, or when the watch is disposed
/// (which removes it from the server when no other watcher of this client needs it).
/// <code>
/// await using var watch = await client.AddWatchAsync("/app", AddWatchMode.PersistentRecursive);
/// await foreach (var e in watch.WithCancellation(ct)) { ... }
/// </code>
/// Enumerate it once: concurrent enumerations share (split) the events.
/// </summary>
public sealed class PersistentWatch : IAsyncEnumerable<WatchEvent>, IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly StreamWatcher _watcher;
    private int _disposed;

    internal PersistentWatch(CoordinationClient client, StreamWatcher watcher)
    {
        _client = client;
        _watcher = watcher;
    }

    /// <summary>The watched client path.</summary>
    public string Path => _watcher.Path;

    /// <summary>Persistent, or persistent recursive.</summary>
    public AddWatchMode Mode => _watcher.Mode;

    /// <summary>Completes when the stream has ended and every event was read.</summary>
    public Task Completion => _watcher.Reader.Completion;

    /// <summary>Waits for the next event; throws <see cref="System.Threading.Channels.ChannelClosedException"/> when the stream has ended.</summary>
    public ValueTask<WatchEvent> ReadAsync(CancellationToken cancellationToken = default) => _watcher.Reader.ReadAsync(cancellationToken);

    /// <summary>Takes an event that is already waiting, if any.</summary>
    public bool TryRead(out WatchEvent? watchEvent)
    {
        var ok = _watcher.Reader.TryRead(out var e);
        watchEvent = e;
        return ok;
    }

    /// <inheritdoc />
    public IAsyncEnumerator<WatchEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        _watcher.Reader.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    /// <summary>Removes the watch (from the server too, unless another watcher of this client has the same path and mode) and ends the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _client.RemoveStreamAsync(_watcher).ConfigureAwait(false);
        }
    }
}
