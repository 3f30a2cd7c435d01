using System.Net;
using System.Net.Sockets;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Quorum;

namespace Orleans.Coordination.Server.Tests.TestSupport;

/// <summary>
/// N silos in this process replicating over loopback, each with its own data directory (removed on dispose).
/// Silos can be stopped (as a crash: no session is closed) and started again on their data.
/// </summary>
public sealed class TestEnsemble : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coord-ensemble-tests", Guid.NewGuid().ToString("N"));
    private readonly SiloOptions[] _options;
    private readonly SiloHost?[] _hosts;

    private TestEnsemble(SiloOptions[] options)
    {
        _options = options;
        _hosts = new SiloHost?[options.Length];
    }

    public int Count => _options.Length;

    /// <summary>The running silo with this id (1-based).</summary>
    public SiloHost this[int id] => _hosts[id - 1] ?? throw new InvalidOperationException($"silo {id} is not running");

    public int PortOf(int id) => _options[id - 1].ClientPort;

    public static async Task<TestEnsemble> StartAsync(int n, Action<SiloOptions>? configure = null)
    {
        var ports = FreePorts(4 * n);
        var members = Enumerable.Range(1, n)
            .Select(i => new EnsembleMemberOptions(i, "127.0.0.1", ports[(4 * i) - 4], ports[(4 * i) - 3], EnsembleRole.Voter, ports[(4 * i) - 2]))
            .ToArray();
        var options = new SiloOptions[n];
        var ensemble = new TestEnsemble(options);
        for (var i = 1; i <= n; i++)
        {
            var o = TestSilo.DefaultOptions(Path.Combine(ensemble._root, $"s{i}"));
            o.ServerId = i;
            o.ClientPort = members[i - 1].ClientPort;
            o.Ensemble = new EnsembleOptions { Members = members };
            configure?.Invoke(o);
            options[i - 1] = o;
        }

        try
        {
            for (var i = 1; i <= n; i++)
            {
                await ensemble.StartSiloAsync(i);
            }

            await ensemble.WaitServingAsync(Enumerable.Range(1, n));
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }

        return ensemble;
    }

    public async Task StartSiloAsync(int id)
    {
        Directory.CreateDirectory(_options[id - 1].DataDir);
        _hosts[id - 1] = await SiloHost.StartAsync(_options[id - 1], logging: _ => { }).WaitAsync(Timeout);
    }

    /// <summary>Stops a silo abruptly (its peers and clients lose their connections; sessions stay open).</summary>
    public async Task KillSiloAsync(int id)
    {
        var host = this[id];
        _hosts[id - 1] = null;
        await host.KillAsync().WaitAsync(Timeout);
    }

    public Task<ReplicationView> ViewAsync(int id) => this[id].Core.InvokeAsync(() => this[id].Core.Replication);

    public async Task<int> LeaderAsync()
    {
        var leader = 0;
        await ClientOps.EventuallyAsync(
            async () =>
            {
                foreach (var id in Running)
                {
                    var v = await ViewAsync(id);
                    if (v is { Mode: "leader", IsServing: true })
                    {
                        leader = id;
                        return true;
                    }
                }

                return false;
            },
            Timeout,
            "an established leader");
        return leader;
    }

    public IEnumerable<int> Running => Enumerable.Range(1, Count).Where(i => _hosts[i - 1] is not null);

    public Task WaitServingAsync(IEnumerable<int> ids) => ClientOps.EventuallyAsync(
        async () =>
        {
            foreach (var id in ids)
            {
                if (!(await ViewAsync(id)).IsServing)
                {
                    return false;
                }
            }

            return true;
        },
        Timeout,
        $"silos {string.Join(",", ids)} serving");

    /// <summary>Waits until every running silo has applied the same zxid with the same tree digest.</summary>
    public Task WaitConvergedAsync() => ClientOps.EventuallyAsync(
        async () =>
        {
            var states = new List<(long, ulong)>();
            foreach (var id in Running)
            {
                var core = this[id].Core;
                states.Add(await core.InvokeAsync(() => (core.Tree.LastZxid, core.Tree.Digest)));
            }

            return states.Distinct().Count() == 1;
        },
        Timeout,
        "every silo at the same zxid with the same digest");

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            if (host is not null)
            {
                await host.DisposeAsync().AsTask().WaitAsync(Timeout);
            }
        }

        for (var attempt = 0; attempt < 5 && Directory.Exists(_root); attempt++)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return l;
        }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
