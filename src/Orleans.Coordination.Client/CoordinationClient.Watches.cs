using Orleans.Coordination.Client.Internal;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

public sealed partial class CoordinationClient
{
    /// <summary>
    /// Adds a persistent (<see cref="AddWatchMode.Persistent"/>: the node's data, creation, deletion and children)
    /// or recursive (<see cref="AddWatchMode.PersistentRecursive"/>: the node and every descendant) watch and
    /// returns its event stream. The node need not exist. Dispose the stream to remove the watch.
    /// </summary>
    public async Task<PersistentWatch> AddWatchAsync(string path, AddWatchMode mode, CancellationToken cancellationToken = default)
    {
        var watcher = new StreamWatcher(path, mode);
        await AddWatchCoreAsync(path, mode, watcher, cancellationToken).ConfigureAwait(false);
        return new PersistentWatch(this, watcher);
    }

    /// <summary>
    /// Adds a persistent or recursive watch that calls <paramref name="watcher"/> on the event thread for every
    /// event until removed with <see cref="RemoveWatcherAsync"/> (type Persistent or PersistentRecursive) or
    /// <see cref="RemoveWatchesAsync"/>, or until the session ends.
    /// </summary>
    public Task AddWatchAsync(string path, AddWatchMode mode, Action<WatchEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return AddWatchCoreAsync(path, mode, new CallbackWatcher(watcher, _events), cancellationToken);
    }

    /// <summary>
    /// Removes every watcher of <paramref name="type"/> at <paramref name="path"/> (removeWatches); each gets a
    /// DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved event. Throws <see cref="NoWatcherException"/>
    /// when this client has no such watcher, or when the server has none and <paramref name="local"/> is false;
    /// with <paramref name="local"/> true the watchers are removed here even if the server cannot be told.
    /// </summary>
    public async Task RemoveWatchesAsync(string path, WatcherType type, bool local = false, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        if (!_watches.Contains(path, type))
        {
            throw new NoWatcherException(path);
        }

        try
        {
            await RemoveServerWatchAsync(path, type, cancellationToken).ConfigureAwait(false);
        }
        catch (KeeperException) when (local)
        {
            // Removed locally all the same.
        }

        DeliverRemoved(path, _watches.Remove(path, type));
    }

    /// <summary>
    /// Removes one callback watcher of <paramref name="type"/> at <paramref name="path"/>; it gets a *WatchRemoved
    /// event. The server's watch is removed too when no other watcher of this client needs it (otherwise the server
    /// is only asked whether it still has the watch, with checkWatches). Throws <see cref="NoWatcherException"/>
    /// when the watcher is not registered.
    /// </summary>
    public async Task RemoveWatcherAsync(string path, Action<WatchEvent> watcher, WatcherType type, bool local = false, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        ArgumentNullException.ThrowIfNull(watcher);
        var key = new CallbackWatcher(watcher, _events);
        if (!_watches.Contains(path, type, key))
        {
            throw new NoWatcherException(path);
        }

        if (!local)
        {
            var removed = _watches.Remove(path, type, key);
            var othersNeedIt = _watches.Contains(path, type);
            DeliverRemoved(path, removed);
            try
            {
                if (othersNeedIt)
                {
                    await SubmitAsync(OpCode.CheckWatches, new WatchesRequest(ToServerPath(path), type), path, static (ref JuteReader _) => true, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await RemoveServerWatchAsync(path, type, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (NoWatcherException)
            {
                // The server had already dropped it (it fired, or the node is gone): the goal is reached.
            }

            return;
        }

        DeliverRemoved(path, _watches.Remove(path, type, key));
    }

    /// <summary>Whether the server holds a watch of <paramref name="type"/> at <paramref name="path"/> for this connection (checkWatches).</summary>
    public async Task<bool> CheckWatchesAsync(string path, WatcherType type, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        try
        {
            await SubmitAsync(OpCode.CheckWatches, new WatchesRequest(ToServerPath(path), type), path, static (ref JuteReader _) => true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NoWatcherException)
        {
            return false;
        }
    }

    internal async Task RemoveStreamAsync(StreamWatcher watcher)
    {
        var type = watcher.Mode == AddWatchMode.Persistent ? WatcherType.Persistent : WatcherType.PersistentRecursive;
        var removed = _watches.Remove(watcher.Path, type, watcher);
        watcher.Finish();
        if (removed.Count == 0 || _watches.Contains(watcher.Path, type) || !IsConnected)
        {
            return;
        }

        try
        {
            await RemoveServerWatchAsync(watcher.Path, type, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KeeperException or ObjectDisposedException)
        {
            // Best effort: an unneeded server watch only costs events that nobody receives.
        }
    }

    /// <summary>
    /// removeWatches for <paramref name="type"/>. ZooKeeper before 3.9 knows no Persistent/PersistentRecursive
    /// watcher types there and answers MarshallingError; its only way to drop a persistent watch is type Any, which
    /// also drops the standard watches on the path, so that is used only when no other watcher of this client is there
    /// (otherwise the server's watch stays and its events find no client watcher).
    /// </summary>
    private async Task RemoveServerWatchAsync(string path, WatcherType type, CancellationToken cancellationToken)
    {
        try
        {
            await SubmitAsync(OpCode.RemoveWatches, new WatchesRequest(ToServerPath(path), type), path, static (ref JuteReader _) => true, cancellationToken).ConfigureAwait(false);
        }
        catch (MarshallingErrorException) when (type is WatcherType.Persistent or WatcherType.PersistentRecursive)
        {
            if (!_watches.HasOthers(path, type))
            {
                await SubmitAsync(OpCode.RemoveWatches, new WatchesRequest(ToServerPath(path), WatcherType.Any), path, static (ref JuteReader _) => true, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task AddWatchCoreAsync(string path, AddWatchMode mode, Watcher watcher, CancellationToken cancellationToken)
    {
        PathUtils.Validate(path);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown watch mode");
        }

        var table = mode == AddWatchMode.Persistent ? WatchTable.Persistent : WatchTable.PersistentRecursive;
        var registration = new WatchRegistration(_watches, path, watcher, table);
        // The reply body is ErrorResponse{0}; tolerate a server that leaves it out.
        return SubmitAsync(OpCode.AddWatch, new AddWatchRequest(ToServerPath(path), mode), path, static (ref JuteReader r) => r.AtEnd || ErrorResponse.Read(ref r).Err == ErrorCode.Ok, cancellationToken, registration);
    }

    private static void DeliverRemoved(string path, List<(Watcher Watcher, EventType Removed)> removed)
    {
        foreach (var (watcher, evt) in removed)
        {
            watcher.Deliver(new WatchEvent(evt, KeeperState.SyncConnected, path));
            watcher.Finish();
        }
    }
}
