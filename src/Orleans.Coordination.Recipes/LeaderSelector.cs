using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Client;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// Leader election that runs a callback while leading (Curator's LeaderSelector).
/// <para>
/// <b>How.</b> Participants queue on a fair <see cref="InterProcessMutex"/> at <see cref="Path"/> (their node data is
/// their <see cref="Id"/>). The holder of the mutex is the leader: it runs the leadership callback, and gives
/// leadership up when the callback returns. With <see cref="AutoRequeue"/> (or after <see cref="Requeue"/>) it then
/// queues again at the end, so leadership rotates among participants.
/// </para>
/// <para>
/// <b>Guarantees.</b> At most one participant runs the callback while sessions are alive. The callback's token is
/// cancelled when leadership is lost (session lost, client disposed, node deleted, or a suspended connection under
/// <see cref="OwnershipLossPolicy.ConnectionSuspended"/>) or the selector is disposed; the callback must then stop
/// acting as leader and return. Exceptions from the callback are logged and end the term.
/// </para>
/// <code>
/// await using var selector = new LeaderSelector(client, "/election/scheduler", async ct =>
/// {
///     while (!ct.IsCancellationRequested) { await ScheduleJobsAsync(ct); }
/// }, autoRequeue: true);
/// selector.Start();
/// </code>
/// </summary>
public sealed class LeaderSelector : IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly Func<CancellationToken, Task> _takeLeadership;
    private readonly InterProcessMutex _mutex;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _requeue = new(0);
    private Task? _loop;
    private volatile bool _hasLeadership;
    private int _disposed;

    /// <summary>Creates a selector; nothing happens until <see cref="Start"/>.</summary>
    /// <param name="client">The client whose session holds the participant node.</param>
    /// <param name="path">The election's node.</param>
    /// <param name="takeLeadership">Runs while leading; return to give leadership up. Its token is cancelled when leadership is lost.</param>
    /// <param name="autoRequeue">Queue again after each term.</param>
    /// <param name="id">This participant's id (stored in its node).</param>
    /// <param name="lossPolicy">When leadership is considered lost.</param>
    /// <param name="logger">Optional logger.</param>
    public LeaderSelector(CoordinationClient client, string path, Func<CancellationToken, Task> takeLeadership, bool autoRequeue = false, string? id = null, OwnershipLossPolicy lossPolicy = OwnershipLossPolicy.SessionLost, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(takeLeadership);
        _client = client;
        _takeLeadership = takeLeadership;
        AutoRequeue = autoRequeue;
        Id = id ?? Guid.NewGuid().ToString("N");
        _mutex = new InterProcessMutex(client, path, Encoding.UTF8.GetBytes(Id), lossPolicy);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The election's node.</summary>
    public string Path => _mutex.Path;

    /// <summary>This participant's id.</summary>
    public string Id { get; }

    /// <summary>Whether the selector queues again after each term.</summary>
    public bool AutoRequeue { get; }

    /// <summary>Whether the callback is running as leader now.</summary>
    public bool HasLeadership => _hasLeadership;

    /// <summary>Terms this participant has led so far.</summary>
    public int Terms { get; private set; }

    /// <summary>Joins the election (once).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _loop, Task.CompletedTask, null) is not null)
        {
            throw new InvalidOperationException("the selector was already started");
        }

        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Queues again for one more term (only needed without <see cref="AutoRequeue"/>).</summary>
    public void Requeue() => _requeue.Release();

    /// <summary>The participants' ids in queue order (the first leads).</summary>
    public async Task<IReadOnlyList<string>> GetParticipantsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<string>();
        foreach (var name in await _mutex.GetParticipantNodesAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var data = await _client.GetDataAsync(Path + "/" + name, cancellationToken).ConfigureAwait(false);
                result.Add(Encoding.UTF8.GetString(data.Data));
            }
            catch (NoNodeException)
            {
                // Left meanwhile.
            }
        }

        return result;
    }

    /// <summary>Leaves the election: cancels a running callback, waits for it to return, and releases leadership.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var queue = true;
        while (!stop.IsCancellationRequested)
        {
            if (!queue)
            {
                try
                {
                    await _requeue.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            queue = AutoRequeue;
            var session = _client.SessionId;
            try
            {
                await LeadOnceAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e)
            {
                queue = true;
                try
                {
                    if (_client.State == ConnectionState.Lost || e is SessionExpiredException)
                    {
                        // The session is gone: take part again only with a renewed one (never, for a client that does not renew).
                        _logger.LogWarning(e, "Leader selector {Path} ({Id}): session lost; waiting for a new session", Path, Id);
                        if (!await ClientStates.WaitForNewSessionAsync(_client, session, stop).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                    else
                    {
                        _logger.LogWarning(e, "Leader selector {Path} ({Id}): could not take part; trying again", Path, Id);
                        await Task.Delay(TimeSpan.FromMilliseconds(200), stop).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task LeadOnceAsync(CancellationToken stop)
    {
        var handle = await _mutex.AcquireAsync(stop).ConfigureAwait(false);
        await using (handle.ConfigureAwait(false))
        {
            using var term = CancellationTokenSource.CreateLinkedTokenSource(stop, handle.LostToken);
            _hasLeadership = true;
            Terms++;
            _logger.LogInformation("Leader selector {Path} ({Id}): leading", Path, Id);
            try
            {
                await _takeLeadership(term.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (term.IsCancellationRequested)
            {
                // The term ended.
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Leader selector {Path} ({Id}): the leadership callback threw", Path, Id);
            }
            finally
            {
                _hasLeadership = false;
                _logger.LogInformation("Leader selector {Path} ({Id}): {Outcome}", Path, Id, handle.IsLost ? "leadership lost: " + handle.LostReason : "leadership released");
            }
        }
    }
}
