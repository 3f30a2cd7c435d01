namespace Orleans.Coordination.TestingHost;

public sealed partial class TestCluster
{
    /// <summary>
    /// Crashes a silo: its log file system first forgets every write that was not fsynced (with the default in-memory
    /// log), then the silo stops at once. Peers and clients lose their connections; no session is closed, so the
    /// sessions it served live on in the ensemble until they reconnect elsewhere or expire.
    /// </summary>
    /// <param name="id">The silo's server id.</param>
    /// <exception cref="InvalidOperationException">the silo is not running.</exception>
    public async Task KillSiloAsync(int id)
    {
        var silo = this[id];
        var host = silo.Stopped() ?? throw new InvalidOperationException($"silo {id} is not running");
        silo.LogFileSystem?.SimulateCrash();

        // A paused loop would never see the shutdown; a crashed process is not paused either.
        host.Resume();
        await host.KillAsync().WaitAsync(StopTimeout).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops a silo gracefully: it finishes what it was doing and closes its ports; sessions stay open in the ensemble
    /// (as when a server process is shut down), and its log keeps everything it wrote.
    /// </summary>
    /// <param name="id">The silo's server id.</param>
    /// <exception cref="InvalidOperationException">the silo is not running.</exception>
    public async Task StopSiloAsync(int id)
    {
        var silo = this[id];
        var host = silo.Stopped() ?? throw new InvalidOperationException($"silo {id} is not running");
        host.Resume();
        await host.DisposeAsync().AsTask().WaitAsync(StopTimeout).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a stopped or killed silo again on its data directory and log (same id and ports), and waits until it
    /// has joined a leader and serves. Without a quorum it never serves: pass <paramref name="waitUntilServing"/> false.
    /// </summary>
    /// <param name="id">The silo's server id.</param>
    /// <param name="waitUntilServing">Wait until it serves clients (bounded by <see cref="TestClusterOptions.StartTimeout"/>).</param>
    /// <param name="cancellationToken">Cancels the start or the wait.</param>
    /// <exception cref="InvalidOperationException">the silo is running.</exception>
    public async Task RestartSiloAsync(int id, bool waitUntilServing = true, CancellationToken cancellationToken = default)
    {
        var silo = this[id];
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(_options.StartTimeout);
            await StartSiloCoreAsync(silo, timeout.Token).ConfigureAwait(false);
        }

        if (waitUntilServing)
        {
            await WaitForServingAsync([id], _options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Freezes a running silo as SIGSTOP would: its sockets stay open but it processes nothing (no heartbeat, no
    /// request, no reply) until <see cref="Resume"/>. Its peers and clients notice only through their timeouts.
    /// </summary>
    /// <param name="id">The silo's server id.</param>
    /// <exception cref="InvalidOperationException">the silo is not running.</exception>
    public void Pause(int id)
    {
        var silo = this[id];
        var host = silo.Host ?? throw new InvalidOperationException($"silo {id} is not running");
        silo.SetPaused(true);
        host.Pause();
    }

    /// <summary>Lets a paused silo run again; it handles what queued up meanwhile. Does nothing if it is not paused.</summary>
    /// <param name="id">The silo's server id.</param>
    public void Resume(int id)
    {
        var silo = this[id];
        if (silo.Host is { } host)
        {
            host.Resume();
            silo.SetPaused(false);
        }
    }

    /// <summary>
    /// Cuts the silos in <paramref name="side"/> off from all the others (running or not, now and after restarts):
    /// replication and election messages between the two sides are dropped in both directions. Clients still reach
    /// every silo; a side without a quorum stops serving them. Partitions accumulate until <see cref="Heal"/>.
    /// </summary>
    /// <param name="side">Server ids on one side; every other silo is on the other.</param>
    public void Partition(params int[] side)
    {
        ArgumentNullException.ThrowIfNull(side);
        foreach (var id in side)
        {
            _ = this[id];
        }

        var inside = side.ToHashSet();
        var outside = Silos.Select(s => s.Id).Where(id => !inside.Contains(id)).ToArray();
        foreach (var id in inside)
        {
            Block(this[id], outside);
        }

        foreach (var id in outside)
        {
            Block(this[id], [.. inside]);
        }
    }

    /// <summary>Removes every partition: all silos exchange messages again.</summary>
    public void Heal()
    {
        foreach (var silo in Silos)
        {
            lock (silo.BlockedPeers)
            {
                silo.BlockedPeers.Clear();
                silo.Host?.Core.Links.Heal();
            }
        }
    }

    private static void Block(TestSilo silo, int[] peers)
    {
        if (peers.Length == 0)
        {
            return;
        }

        lock (silo.BlockedPeers)
        {
            silo.BlockedPeers.UnionWith(peers);
            silo.Host?.Core.Links.Block(peers);
        }
    }
}
