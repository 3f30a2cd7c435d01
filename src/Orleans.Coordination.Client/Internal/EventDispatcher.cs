using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Orleans.Coordination.Client.Internal;

/// <summary>
/// The client's event thread: runs watch callbacks and state-change handlers one at a time, in the order they
/// were posted, away from the socket reader so a slow handler cannot stall the connection.
/// </summary>
internal sealed class EventDispatcher
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Task _loop;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Post(Action action) => _queue.Writer.TryWrite(action);

    /// <summary>Runs what is queued, then stops.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        await foreach (var action in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "A watcher or state-change handler threw");
            }
        }
    }
}
