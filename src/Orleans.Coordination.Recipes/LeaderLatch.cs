using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// Leader election where each participant holds on to leadership until it closes (Curator's LeaderLatch).
/// <para>
/// <b>How.</b> Each participant creates an ephemeral sequential node below <see cref="Path"/> holding its
/// <see cref="Id"/>; the lowest sequence is the leader, and every other participant watches only the node just before
/// its own (no herd). When the leader closes or its session ends, the next participant becomes leader.
/// </para>
/// <para>
/// <b>Guarantees.</b> At most one participant has leadership while sessions are alive. Leadership is reported lost
/// (<see cref="HasLeadership"/> false, <see cref="IsLeaderChanged"/> raised with false, <see cref="LeadershipToken"/>
/// cancelled) as soon as the session is Lost, the client is closed, the node is deleted by someone else, or, under
/// <see cref="OwnershipLossPolicy.ConnectionSuspended"/>, the connection is Suspended (leadership comes back after a
/// reconnect if the node is still first). A client that renews its session after expiry rejoins with a new node;
/// one that does not stays without leadership.
/// </para>
/// <code>
/// await using var latch = new LeaderLatch(client, "/election/reports", id: Environment.MachineName);
/// latch.IsLeaderChanged += (_, isLeader) => Console.WriteLine(isLeader ? "leading" : "following");
/// await latch.StartAsync();
/// await latch.AwaitLeadershipAsync(cancellationToken);
/// await RunReportsAsync(latch.LeadershipToken);
/// </code>
/// </summary>
public sealed class LeaderLatch : IAsyncDisposable
{
    private const string LatchName = "latch-";
    private readonly CoordinationClient _client;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Lock _transition = new();
    private TaskCompletionSource _leadership = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _leadershipTokenSource = new();
    private string? _ourPath;
    private long _ourSession;
    private bool _hasLeadership;
    private Task? _loop;
    private int _closed;

    /// <summary>Creates a latch; nothing happens until <see cref="StartAsync"/>.</summary>
    /// <param name="client">The client whose session holds the participant node.</param>
    /// <param name="path">The election's node; participants are its children.</param>
    /// <param name="id">This participant's id (stored in its node).</param>
    /// <param name="lossPolicy">When leadership is considered lost.</param>
    /// <param name="logger">Optional logger.</param>
    public LeaderLatch(CoordinationClient client, string path, string? id = null, OwnershipLossPolicy lossPolicy = OwnershipLossPolicy.SessionLost, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
        Id = id ?? Guid.NewGuid().ToString("N");
        LossPolicy = lossPolicy;
        _logger = logger ?? NullLogger.Instance;
        _leadershipTokenSource.Cancel();
    }

    /// <summary>The election's node.</summary>
    public string Path { get; }

    /// <summary>This participant's id.</summary>
    public string Id { get; }

    /// <summary>When leadership is considered lost.</summary>
    public OwnershipLossPolicy LossPolicy { get; }

    /// <summary>Whether this participant leads now.</summary>
    public bool HasLeadership
    {
        get
        {
            lock (_lock)
            {
                return _hasLeadership;
            }
        }
    }

    /// <summary>
    /// A token for the current term: not cancelled while this participant leads, cancelled when leadership is lost or
    /// the latch closes. Read it after gaining leadership; while not leading it is already cancelled.
    /// </summary>
    public CancellationToken LeadershipToken
    {
        get
        {
            lock (_lock)
            {
                return _leadershipTokenSource.Token;
            }
        }
    }

    /// <summary>This participant's node, once created.</summary>
    public string? OurPath
    {
        get
        {
            lock (_lock)
            {
                return _ourPath;
            }
        }
    }

    /// <summary>
    /// Raised with true when this participant gains leadership and with false when it loses it, in order, from the
    /// latch's own loop or, for a loss caused by the connection, from the client's event thread (handlers should be quick).
    /// </summary>
    public event EventHandler<bool>? IsLeaderChanged;

    /// <summary>Joins the election: creates this participant's node and starts watching. Returns once the node exists.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (_loop is not null)
        {
            throw new InvalidOperationException("the latch was already started");
        }

        await Nodes.EnsureAsync(_client, Path, cancellationToken).ConfigureAwait(false);
        await CreateNodeAsync(cancellationToken).ConfigureAwait(false);
        _client.StateChanged += OnStateChanged;
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Waits until this participant leads. Throws <see cref="ObjectDisposedException"/> if the latch closes first.</summary>
    public Task AwaitLeadershipAsync(CancellationToken cancellationToken = default)
    {
        Task task;
        lock (_lock)
        {
            task = _leadership.Task;
        }

        return task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits at most <paramref name="timeout"/> for leadership; returns whether this participant leads.</summary>
    public async Task<bool> AwaitLeadershipAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await AwaitLeadershipAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return HasLeadership;
        }
    }

    /// <summary>The participants' ids in election order (the first leads).</summary>
    public async Task<IReadOnlyList<string>> GetParticipantsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<string>();
        foreach (var name in await GetSortedAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var data = await _client.RetryAsync(ct => _client.GetDataAsync(ZkPaths.Join(Path, name), ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                result.Add(Encoding.UTF8.GetString(data.Data));
            }
            catch (NoNodeException)
            {
                // Left meanwhile.
            }
        }

        return result;
    }

    /// <summary>The current leader's id, or null when there are no participants.</summary>
    public async Task<string?> GetLeaderIdAsync(CancellationToken cancellationToken = default) =>
        (await GetParticipantsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Leaves the election: deletes the node (so the next participant leads) and reports leadership lost.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _client.StateChanged -= OnStateChanged;
        _stop.Cancel();
        _wake.Release();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        SetLeadership(false);
        lock (_lock)
        {
            _leadership.TrySetException(new ObjectDisposedException(nameof(LeaderLatch)));
        }

        if (OurPath is { } path)
        {
            await Nodes.DeleteQuietlyAsync(_client, path).ConfigureAwait(false);
        }
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        // Report a loss at once, not when the loop next runs (by then a quick reconnect could hide the gap).
        if (e.State is ConnectionState.Lost or ConnectionState.Closed
            || (e.State == ConnectionState.Suspended && LossPolicy == OwnershipLossPolicy.ConnectionSuspended))
        {
            SetLeadership(false);
        }

        _wake.Release();
    }

    private async Task CreateNodeAsync(CancellationToken cancellationToken)
    {
        var path = await Nodes.CreateProtectedAsync(_client, Path, LatchName, Encoding.UTF8.GetBytes(Id), CreateMode.EphemeralSequential, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _ourPath = path;
            _ourSession = _client.SessionId;
        }
    }

    private async Task<List<string>> GetSortedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var children = await _client.RetryAsync(ct => _client.GetChildrenAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return ZkPaths.SortBySequence(children, "-" + LatchName);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Task waitFor;
            try
            {
                waitFor = await StepAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                SetLeadership(false);
                return;
            }
            catch (Exception e)
            {
                // Session expired, connection trouble, ...: not leading until the next step proves otherwise.
                _logger.LogDebug(e, "Leader latch {Path}: step failed", Path);
                SetLeadership(false);
                waitFor = Task.Delay(TimeSpan.FromMilliseconds(200), stop);
            }

            try
            {
                // Wake on the watch, on a connection state change, or on close.
                await Task.WhenAny(waitFor, _wake.WaitAsync(stop)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One evaluation; returns what to wait for before the next.</summary>
    private async Task<Task> StepAsync(CancellationToken stop)
    {
        var state = _client.State;
        if (state == ConnectionState.Closed)
        {
            SetLeadership(false);
            return Task.Delay(Timeout.Infinite, stop);
        }

        if (state == ConnectionState.Lost)
        {
            SetLeadership(false);
            return Task.Delay(Timeout.Infinite, stop);
        }

        if (state == ConnectionState.Suspended)
        {
            if (LossPolicy == OwnershipLossPolicy.ConnectionSuspended)
            {
                SetLeadership(false);
            }

            return Task.Delay(Timeout.Infinite, stop);
        }

        string? ourPath;
        long ourSession;
        lock (_lock)
        {
            ourPath = _ourPath;
            ourSession = _ourSession;
        }

        if (ourPath is null || ourSession != _client.SessionId)
        {
            // A renewed session: the old node went with the old session.
            SetLeadership(false);
            await CreateNodeAsync(stop).ConfigureAwait(false);
            return Task.CompletedTask;
        }

        var sorted = await GetSortedAsync(stop).ConfigureAwait(false);
        var index = sorted.IndexOf(ZkPaths.NodeName(ourPath));
        if (index < 0)
        {
            // Deleted by someone else: rejoin at the end of the queue.
            SetLeadership(false);
            lock (_lock)
            {
                _ourPath = null;
            }

            return Task.CompletedTask;
        }

        var watchPath = index == 0 ? ourPath : ZkPaths.Join(Path, sorted[index - 1]);
        var watched = await _client.RetryAsync(ct => _client.WatchExistsAsync(watchPath, ct), cancellationToken: stop).ConfigureAwait(false);
        if (watched.Stat is null)
        {
            return Task.CompletedTask;
        }

        SetLeadership(index == 0);
        return watched.Changed;
    }

    /// <summary>Records a transition and reports it; transitions are serialized so that handlers see them in order.</summary>
    private void SetLeadership(bool leading)
    {
        lock (_transition)
        {
            CancellationTokenSource? ended = null;
            lock (_lock)
            {
                if (_hasLeadership == leading)
                {
                    return;
                }

                _hasLeadership = leading;
                if (leading)
                {
                    _leadershipTokenSource = new CancellationTokenSource();
                    _leadership.TrySetResult();
                }
                else
                {
                    ended = _leadershipTokenSource;
                    if (_leadership.Task.IsCompleted && Volatile.Read(ref _closed) == 0)
                    {
                        _leadership = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }

            _logger.LogInformation("Leader latch {Path} ({Id}): {State}", Path, Id, leading ? "leading" : "not leading");
            try
            {
                ended?.Cancel();
                IsLeaderChanged?.Invoke(this, leading);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "A leadership handler threw");
            }
        }
    }
}
