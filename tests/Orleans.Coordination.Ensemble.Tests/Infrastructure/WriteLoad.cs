using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orleans.Coordination.Client;

namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>A write the ensemble acknowledged with OK, and when (on the load's clock).</summary>
internal sealed record AckedWrite(int Writer, long Seq, string Path, string Data, bool IsSet, TimeSpan At);

/// <summary>A write that failed or timed out, with the silo the writer was on.</summary>
internal sealed record FailedWrite(int Writer, long Seq, string Path, string Error, int Silo, TimeSpan At);

/// <summary>
/// Writers, each with its own session, spread over the ensemble (writer k starts on silo k mod N, no shuffling), each
/// issuing sequential writes under <c>Root</c>: a create of a fresh node <c>w{k}-{seq}</c>, then a set of its register
/// <c>r{k}</c> to <c>seq</c>. Every attempt has its own timeout and a fresh path, so a failed attempt is never retried
/// under the same name: what was acknowledged is exactly <see cref="Acked"/>. A failed or timed-out write may still
/// have committed (ZooKeeper allows it); checks only rely on acknowledged ones.
/// </summary>
internal sealed class WriteLoad : IAsyncDisposable
{
    private readonly SiloEnsemble _ensemble;
    private readonly List<CoordinationClient> _clients = [];
    private readonly ConcurrentQueue<AckedWrite> _acked = new();
    private readonly ConcurrentQueue<FailedWrite> _failed = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _writers = [];
    private readonly TimeSpan _attemptTimeout;

    private WriteLoad(SiloEnsemble ensemble, string root, TimeSpan attemptTimeout)
    {
        _ensemble = ensemble;
        Root = root;
        _attemptTimeout = attemptTimeout;
    }

    public string Root { get; }

    public IReadOnlyList<CoordinationClient> Clients => _clients;

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<AckedWrite> Acked => [.. _acked];

    public IReadOnlyList<FailedWrite> Failed => [.. _failed];

    /// <summary>Creates <paramref name="root"/> and the registers, connects <paramref name="writers"/> clients and starts writing.</summary>
    public static async Task<WriteLoad> StartAsync(SiloEnsemble ensemble, string root, int writers, TimeSpan? attemptTimeout = null)
    {
        var load = new WriteLoad(ensemble, root, attemptTimeout ?? TimeSpan.FromSeconds(5));
        try
        {
            for (var k = 0; k < writers; k++)
            {
                var client = new CoordinationClient(new CoordinationClientOptions
                {
                    ConnectionString = ensemble.ConnectionStringFrom((k % ensemble.Size) + 1),
                    ShuffleHosts = false,
                    SessionTimeout = TimeSpan.FromSeconds(15),
                    ConnectTimeout = TimeSpan.FromSeconds(20),
                });
                load._clients.Add(client);
                await client.ConnectAsync();
            }

            await load._clients[0].CreateAsync(root, null);
            for (var k = 0; k < writers; k++)
            {
                await load._clients[0].CreateAsync(RegisterPath(root, k), Encoding.UTF8.GetBytes("-1"));
            }

            for (var k = 0; k < writers; k++)
            {
                var writer = k;
                load._writers.Add(Task.Run(() => load.WriteLoopAsync(writer)));
            }

            return load;
        }
        catch
        {
            await load.DisposeAsync();
            throw;
        }
    }

    public static string RegisterPath(string root, int writer) => $"{root}/r{writer.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The silo each writer is connected to now (0 while disconnected).</summary>
    public int[] CurrentSilos() => [.. _clients.Select(c => c.CurrentServer is { } s ? _ensemble.IdOfPort(s.Port) : 0)];

    public int AckedSince(TimeSpan since) => _acked.Count(a => a.At > since);

    /// <summary>Waits (bounded) until <paramref name="count"/> writes were acknowledged after <paramref name="since"/>; false on timeout.</summary>
    public async Task<bool> WaitAckedSinceAsync(TimeSpan since, int count, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (AckedSince(since) >= count)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Waits (bounded) until every writer had <paramref name="count"/> writes acknowledged after <paramref name="since"/>; false on timeout.</summary>
    public async Task<bool> WaitEveryWriterAckedSinceAsync(TimeSpan since, int count, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var perWriter = _acked.Where(a => a.At > since).GroupBy(a => a.Writer).ToDictionary(g => g.Key, g => g.Count());
            if (Enumerable.Range(0, _clients.Count).All(k => perWriter.GetValueOrDefault(k) >= count))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Stops the writers and waits for their last attempt.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_writers).WaitAsync(_attemptTimeout + TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// The longest time without any acknowledgement between the last one before <paramref name="from"/> and the first one
    /// after <paramref name="to"/>: around a kill, how long the ensemble could not be written to.
    /// </summary>
    public TimeSpan LongestGapBetween(TimeSpan from, TimeSpan to)
    {
        var times = _acked.Select(a => a.At).OrderBy(t => t).ToList();
        var first = Math.Max(0, times.FindLastIndex(t => t <= from));
        var last = times.FindIndex(t => t > to) is var i && i >= 0 ? i : times.Count - 1;
        var window = times.GetRange(first, Math.Max(0, last - first + 1));
        return window.Count < 2 ? TimeSpan.Zero : window.Zip(window.Skip(1), (a, b) => b - a).Max();
    }

    /// <summary>The longest time between consecutive acknowledgements anywhere in the run.</summary>
    public TimeSpan LongestGap()
    {
        var times = _acked.Select(a => a.At).OrderBy(t => t).ToList();
        return times.Count < 2 ? TimeSpan.Zero : times.Zip(times.Skip(1), (a, b) => b - a).Max();
    }

    public string Summary() =>
        $"{_acked.Count} writes acknowledged, {_failed.Count} failed/timed out" +
        string.Concat(_failed.Take(10).Select(f => $"\n  writer {f.Writer} on s{f.Silo}: {f.Path} {f.Error} at {f.At.TotalSeconds:F2}s"));

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        try
        {
            await Task.WhenAll(_writers).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Disposing the clients below fails what is still pending.
        }

        foreach (var client in _clients)
        {
            await DisposeQuietlyAsync(client);
        }

        _stop.Dispose();
    }

    /// <summary>Disposes a client whose silo may be gone: closeSession is given a bounded time.</summary>
    public static async Task DisposeQuietlyAsync(CoordinationClient client)
    {
        try
        {
            await client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception e) when (e is TimeoutException or KeeperException or ObjectDisposedException)
        {
            // The session then expires on the server.
        }
    }

    private async Task WriteLoopAsync(int writer)
    {
        var client = _clients[writer];
        var register = RegisterPath(Root, writer);
        for (long seq = 0; !_stop.IsCancellationRequested; seq++)
        {
            var isSet = seq % 2 == 1;
            var path = isSet ? register : $"{Root}/w{writer.ToString(CultureInfo.InvariantCulture)}-{seq.ToString("D6", CultureInfo.InvariantCulture)}";
            var data = seq.ToString(CultureInfo.InvariantCulture);
            var silo = client.CurrentServer is { } s ? _ensemble.IdOfPort(s.Port) : 0;
            using var attempt = new CancellationTokenSource(_attemptTimeout);
            try
            {
                if (isSet)
                {
                    await client.SetDataAsync(path, Encoding.UTF8.GetBytes(data), cancellationToken: attempt.Token);
                }
                else
                {
                    await client.CreateAsync(path, Encoding.UTF8.GetBytes(data), cancellationToken: attempt.Token);
                }

                _acked.Enqueue(new AckedWrite(writer, seq, path, data, isSet, Now));
            }
            catch (Exception e) when (e is KeeperException or OperationCanceledException or ObjectDisposedException)
            {
                var error = e is OperationCanceledException ? "timeout" : e.GetType().Name;
                _failed.Enqueue(new FailedWrite(writer, seq, path, error, silo, Now));
                if (e is SessionExpiredException or ObjectDisposedException)
                {
                    return;
                }

                // Do not spin while the client reconnects.
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }
}
