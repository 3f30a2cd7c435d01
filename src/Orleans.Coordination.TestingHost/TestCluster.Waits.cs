using Orleans.Coordination.Client;

namespace Orleans.Coordination.TestingHost;

public sealed partial class TestCluster
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>What every silo reports now (stopped and paused ones too), in id order.</summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public async Task<IReadOnlyList<SiloStatus>> GetStatusAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(Silos.Select(s => s.GetStatusAsync(cancellationToken))).ConfigureAwait(false);

    /// <summary>
    /// Waits until a running silo leads an established ensemble (it serves clients as leader) and returns its id.
    /// A standalone silo leads itself.
    /// </summary>
    /// <param name="timeout">How long to wait; 30 s when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">no leader within the timeout; the message lists every silo's status.</exception>
    public async Task<int> WaitForLeaderAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var leader = 0;
        await WaitUntilAsync(
            statuses =>
            {
                leader = statuses.FirstOrDefault(s => s.IsLeader)?.ServerId ?? 0;
                return leader != 0;
            },
            "a leader",
            timeout,
            cancellationToken).ConfigureAwait(false);
        return leader;
    }

    /// <summary>
    /// Waits until every running silo (paused ones excepted) serves clients and has applied the same last zxid with
    /// the same tree digest: they hold the same data. A silo cut off from the quorum never serves, so heal first.
    /// </summary>
    /// <param name="timeout">How long to wait; 30 s when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">no convergence within the timeout; the message lists every silo's status.</exception>
    public Task WaitForConvergenceAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(
            statuses =>
            {
                var live = statuses.Where(s => s.State == SiloState.Running).ToList();
                return live.Count > 0
                    && live.All(s => s.IsServing)
                    && live.Select(s => (s.TreeZxid, s.TreeDigest)).Distinct().Count() == 1;
            },
            "every running silo serving at the same zxid with the same digest",
            timeout,
            cancellationToken);

    /// <summary>Waits until each of these silos serves clients (has joined an established leader).</summary>
    /// <param name="ids">Server ids.</param>
    /// <param name="timeout">How long to wait; 30 s when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">one of them did not serve within the timeout.</exception>
    public Task WaitForServingAsync(int[] ids, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(
            statuses => ids.All(id => statuses[id - 1].IsServing),
            $"silos {string.Join(",", ids)} serving",
            timeout,
            cancellationToken);

    /// <summary>Waits until this silo no longer serves clients (for example after losing its quorum).</summary>
    /// <param name="id">The silo's server id.</param>
    /// <param name="timeout">How long to wait; 30 s when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">it still served at the timeout.</exception>
    public Task WaitForNotServingAsync(int id, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(statuses => !statuses[id - 1].IsServing, $"silo {id} not serving", timeout, cancellationToken);

    /// <summary>
    /// Creates a client of the project's own <see cref="CoordinationClient"/> on <see cref="ConnectionString"/> (every
    /// silo, so it fails over as a production client would) and connects it. Dispose it before the cluster.
    /// </summary>
    /// <param name="configure">
    /// Changes the client options (they start with <see cref="ConnectionString"/> and
    /// <see cref="TestClusterOptions.ClientSessionTimeout"/>), for example to name only some silos with
    /// <see cref="ConnectionStringFor"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the connect (the client is disposed).</param>
    public async Task<CoordinationClient> CreateClientAsync(Action<CoordinationClientOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new CoordinationClientOptions
        {
            ConnectionString = ConnectionString,
            SessionTimeout = _options.ClientSessionTimeout,
        };
        configure?.Invoke(options);
        var client = new CoordinationClient(options);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task WaitUntilAsync(Func<IReadOnlyList<SiloStatus>, bool> condition, string what, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var limit = timeout ?? DefaultWait;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var statuses = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
            if (condition(statuses))
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0.#} s for {what}; now: {string.Join("; ", statuses)}");
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
