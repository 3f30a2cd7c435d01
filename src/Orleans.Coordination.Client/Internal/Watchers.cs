using System.Threading.Channels;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client.Internal;

/// <summary>A client-side watcher: something that receives <see cref="WatchEvent"/>s.</summary>
internal abstract class Watcher
{
    /// <summary>Whether Disconnected/SyncConnected events are delivered (persistent streams only).</summary>
    public virtual bool WantsConnectionEvents => false;

    public abstract void Deliver(WatchEvent e);

    /// <summary>The watcher will get nothing more (session ended, or the watch was removed).</summary>
    public virtual void Finish()
    {
    }
}

/// <summary>A user callback, run on the client's event thread. Equal callbacks are one watcher, as in Java.</summary>
internal sealed class CallbackWatcher(Action<WatchEvent> callback, EventDispatcher dispatcher) : Watcher
{
    public Action<WatchEvent> Callback { get; } = callback;

    public override void Deliver(WatchEvent e) => dispatcher.Post(() => Callback(e));

    public override bool Equals(object? obj) => obj is CallbackWatcher other && other.Callback.Equals(Callback);

    public override int GetHashCode() => Callback.GetHashCode();
}

/// <summary>A one-shot watch as a task, completed on the reader before any later reply is seen.</summary>
internal sealed class TaskWatcher : Watcher
{
    private readonly TaskCompletionSource<WatchEvent> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<WatchEvent> Task => _tcs.Task;

    public override void Deliver(WatchEvent e) => _tcs.TrySetResult(e);
}

/// <summary>A persistent (recursive) watch feeding an unbounded channel.</summary>
internal sealed class StreamWatcher(string path, AddWatchMode mode) : Watcher
{
    private readonly Channel<WatchEvent> _channel = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    public string Path { get; } = path;

    public AddWatchMode Mode { get; } = mode;

    public ChannelReader<WatchEvent> Reader => _channel.Reader;

    public override bool WantsConnectionEvents => true;

    public override void Deliver(WatchEvent e)
    {
        _channel.Writer.TryWrite(e);
        if (e.Type == EventType.PersistentWatchRemoved || e.State is KeeperState.Expired or KeeperState.Closed)
        {
            _channel.Writer.TryComplete();
        }
    }

    public override void Finish() => _channel.Writer.TryComplete();
}
