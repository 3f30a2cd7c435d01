using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Recipes.Internal;

/// <summary>
/// Watches what ownership of an ephemeral node depends on: the client's session (Lost, Closed, and per policy
/// Suspended) and the node itself (deleted by someone else). <see cref="Token"/> is cancelled, once, when any of them
/// ends; the cancellation runs on the thread pool, never on the client's event thread.
/// </summary>
internal sealed class OwnershipMonitor : IDisposable
{
    private readonly CoordinationClient _client;
    private readonly string? _nodePath;
    private readonly OwnershipLossPolicy _policy;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _sessionId;
    private int _isLost;
    private int _disposed;

    public OwnershipMonitor(CoordinationClient client, string? nodePath, OwnershipLossPolicy policy)
    {
        _client = client;
        _nodePath = nodePath;
        _policy = policy;
        _sessionId = client.SessionId;
        client.StateChanged += OnStateChanged;
        Check(client.State, client.SessionId);
        if (nodePath is not null && !IsLost)
        {
            _ = WatchNodeAsync(nodePath);
        }
    }

    /// <summary>Cancelled when ownership is lost.</summary>
    public CancellationToken Token => _lost.Token;

    /// <summary>Whether ownership was lost (set before <see cref="Token"/> is cancelled).</summary>
    public bool IsLost => Volatile.Read(ref _isLost) == 1;

    /// <summary>Why ownership was lost, or null.</summary>
    public string? Reason { get; private set; }

    /// <summary>Declares ownership lost (e.g. when an operation proved the node gone).</summary>
    public void Lose(string reason)
    {
        if (Interlocked.Exchange(ref _isLost, 1) != 0)
        {
            return;
        }

        Reason = reason;
        ThreadPool.UnsafeQueueUserWorkItem(static s => ((OwnershipMonitor)s!).CancelLost(), this);
    }

    /// <summary>Stops watching; does not cancel <see cref="Token"/> (a release is not a loss).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _client.StateChanged -= OnStateChanged;
        _stop.Cancel();
    }

    private void CancelLost()
    {
        try
        {
            _lost.Cancel();
        }
        catch (AggregateException)
        {
            // A user callback on the token threw; the loss is reported all the same.
        }
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e) => Check(e.State, e.SessionId);

    private void Check(ConnectionState state, long sessionId)
    {
        switch (state)
        {
            case ConnectionState.Lost:
                Lose("the session was lost");
                break;
            case ConnectionState.Closed:
                Lose("the client was closed");
                break;
            case ConnectionState.Suspended when _policy == OwnershipLossPolicy.ConnectionSuspended:
                Lose("the connection was suspended");
                break;
            case ConnectionState.Reconnected or ConnectionState.Connected when sessionId != _sessionId && _sessionId != 0:
                Lose("the client started a new session");
                break;
        }
    }

    private async Task WatchNodeAsync(string path)
    {
        var stop = _stop.Token;
        while (!IsLost && !stop.IsCancellationRequested)
        {
            try
            {
                var watched = await _client.WatchExistsAsync(path, stop).ConfigureAwait(false);
                if (watched.Stat is null)
                {
                    Lose($"{path} was deleted");
                    return;
                }

                var e = await watched.Changed.WaitAsync(stop).ConfigureAwait(false);
                if (e.Type == EventType.NodeDeleted)
                {
                    Lose($"{path} was deleted");
                    return;
                }

                if (e.State == KeeperState.Expired)
                {
                    Lose("the session was lost");
                    return;
                }

                if (e.State == KeeperState.Closed)
                {
                    Lose("the client was closed");
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (Nodes.IsSessionGone(e))
            {
                Lose("the session was lost");
                return;
            }
            catch (KeeperException)
            {
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
