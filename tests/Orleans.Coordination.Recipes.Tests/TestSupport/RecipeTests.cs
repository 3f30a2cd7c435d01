using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orleans.Coordination.Client;
using Orleans.Coordination.Client.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests.TestSupport;

/// <summary>All recipe tests on our silo share one silo process and run one after another.</summary>
[CollectionDefinition(Silo)]
public sealed class SiloCollection : ICollectionFixture<SiloFixture>
{
    public const string Silo = "recipes on silo";
}

/// <summary>All recipe tests on Apache ZooKeeper share one ZooKeeper and run one after another (in parallel with the silo's).</summary>
[CollectionDefinition(ZooKeeper)]
public sealed class ZooKeeperCollection : ICollectionFixture<ZooKeeperFixture>
{
    public const string ZooKeeper = "recipes on zookeeper";
}

/// <summary>
/// Base of every recipe test class: each subclass binds a server (test names carry …_OnSilo / …_OnZooKeeper), and
/// every test works below its own root node, deleted afterwards.
/// </summary>
public abstract class RecipeTests(ServerFixture server) : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<CoordinationClient> _clients = [];

    protected ServerFixture Server { get; } = server;

    /// <summary>This test's root node.</summary>
    protected string Root { get; } = "/recipes-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A connected client.</summary>
    protected CoordinationClient Client { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Client = await ConnectAsync();
        await Within(Client.CreateAsync(Root, null));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await using var cleaner = new CoordinationClient(Server.ConnectionString, TimeSpan.FromSeconds(10));
        await Within(cleaner.DeleteRecursiveAsync(Root));
    }

    protected string P(string relative) => Root + "/" + relative;

    protected static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    protected static string S(byte[]? bytes) => bytes is null ? "<null>" : Encoding.UTF8.GetString(bytes);

    /// <summary>A new connected client, disposed after the test.</summary>
    protected async Task<CoordinationClient> ConnectAsync(Action<CoordinationClientOptions>? configure = null)
    {
        var options = new CoordinationClientOptions
        {
            ConnectionString = Server.ConnectionString,
            SessionTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(20),
        };
        configure?.Invoke(options);
        var client = new CoordinationClient(options);
        _clients.Add(client);
        await Within(client.ConnectAsync());
        return client;
    }

    protected static Task<T> Within<T>(Task<T> task) => task.WaitAsync(Timeout);

    protected static Task Within(Task task) => task.WaitAsync(Timeout);

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes.</summary>
    protected static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Asserts that <paramref name="task"/> is still pending after <paramref name="milliseconds"/>.</summary>
    protected static async Task StillPending(Task task, int milliseconds = 300)
    {
        await Task.WhenAny(task, Task.Delay(milliseconds));
        Assert.False(task.IsCompleted, "expected the operation to be still waiting");
    }

    /// <summary>
    /// Has the server expire <paramref name="victim"/>'s session: a second handle takes the session over with its id
    /// and password and closes it, so the victim's next handshake is answered "expired" (state Lost).
    /// </summary>
    protected async Task ExpireSessionAsync(CoordinationClient victim)
    {
        for (var attempt = 0; attempt < 5 && victim.State != ConnectionState.Lost; attempt++)
        {
            await using (var thief = new CoordinationClient(new CoordinationClientOptions
            {
                ConnectionString = Server.ConnectionString,
                SessionTimeout = TimeSpan.FromSeconds(10),
                SessionId = victim.SessionId,
                SessionPassword = victim.SessionPassword,
            }))
            {
                await Within(thief.ConnectAsync());
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (victim.State != ConnectionState.Lost && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }

        Assert.Equal(ConnectionState.Lost, victim.State);
    }

    /// <summary>
    /// Freezes the server (SIGSTOP) until <paramref name="clients"/> have all declared their sessions Lost (no reply
    /// for 4/3 of the session timeout), then lets it run again; the server then expires those sessions itself.
    /// </summary>
    protected async Task PauseServerUntilLostAsync(params CoordinationClient[] clients)
    {
        await Server.PauseAsync();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (clients.Any(c => c.State != ConnectionState.Lost) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            await Server.ResumeAsync();
        }

        Assert.All(clients, c => Assert.Equal(ConnectionState.Lost, c.State));
    }

    /// <summary>Raises a start gate (<c>ROOT/gate</c>) and the <c>ROOT/ready</c> node that worker processes check in under.</summary>
    protected async Task<DistributedBarrier> PrepareGateAsync()
    {
        await Within(Client.CreateAsync(P("ready"), null));
        var gate = new DistributedBarrier(Client, P("gate"));
        await Within(gate.SetBarrierAsync());
        return gate;
    }

    /// <summary>Waits until <paramref name="count"/> workers checked in, then lets them all go at once.</summary>
    protected async Task OpenGateAsync(DistributedBarrier gate, int count, IReadOnlyList<WorkerProcess> workers)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await Client.GetChildrenAsync(P("ready"))).Count < count)
        {
            var exited = workers.FirstOrDefault(w => w.HasExited);
            if (exited is not null)
            {
                Assert.Fail($"a worker exited before the start: {await exited.WaitAsync()}");
            }

            Assert.True(DateTime.UtcNow < deadline, "workers did not check in");
            await Task.Delay(50);
        }

        await Within(gate.RemoveBarrierAsync());
    }

    /// <summary>Starts the worker console (tests/…/Worker) as a separate process.</summary>
    protected WorkerProcess StartWorker(params string[] args) =>
        WorkerProcess.Start(LocateBuild("tests/Orleans.Coordination.Recipes.Tests/Worker", "Orleans.Coordination.Recipes.Worker"), [args[0], Server.ConnectionString, Root, .. args[1..]]);

    /// <summary>A built project's dll, from the same configuration as this test assembly.</summary>
    protected static string LocateBuild(string projectDirectory, string assemblyName)
    {
        var configuration = AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(ServerFixture.RepositoryRoot(), projectDirectory, "bin", configuration, "net10.0", assemblyName + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        return dll;
    }

    /// <summary>Parses "enter TICKS" / "exit TICKS" lines into intervals.</summary>
    protected static List<(long Enter, long Exit, int Worker)> Intervals(IReadOnlyList<string[]> files)
    {
        var intervals = new List<(long, long, int)>();
        for (var w = 0; w < files.Count; w++)
        {
            long? enter = null;
            foreach (var line in files[w])
            {
                var parts = line.Split(' ');
                var ticks = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts[0] == "enter")
                {
                    Assert.Null(enter);
                    enter = ticks;
                }
                else
                {
                    Assert.NotNull(enter);
                    intervals.Add((enter!.Value, ticks, w));
                    enter = null;
                }
            }

            Assert.Null(enter);
        }

        return intervals;
    }

    /// <summary>The largest number of intervals that overlap at one instant.</summary>
    protected static int MaxOverlap(IEnumerable<(long Enter, long Exit, int Worker)> intervals)
    {
        // At equal ticks an exit sorts before an enter: touching intervals do not overlap.
        var points = intervals.SelectMany(i => new[] { (i.Enter, 1), (i.Exit, -1) }).OrderBy(p => p.Item1).ThenBy(p => p.Item2);
        int current = 0, max = 0;
        foreach (var (_, delta) in points)
        {
            current += delta;
            max = Math.Max(max, current);
        }

        return max;
    }
}

/// <summary>A worker process and its captured output.</summary>
public sealed class WorkerProcess
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public static WorkerProcess Start(string dll, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return new WorkerProcess(Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet"));
    }

    /// <summary>Waits for the exit (killing the process after <paramref name="timeout"/>); returns "exit code N: output".</summary>
    public async Task<string> WaitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return $"killed after timeout: {Output}";
        }

        return $"exit code {_process.ExitCode}: {Output}";
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Kills the process (SIGKILL): no goodbye to the server, its session lives on until it times out.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
