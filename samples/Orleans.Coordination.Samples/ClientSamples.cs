using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Samples;

/// <summary>The client snippets of docs/client.md. Text between snippet markers is copied verbatim into the docs.</summary>
public static class ClientSamples
{
    public static async Task ConnectAsync(string connectionString, CancellationToken ct)
    {
        // <snippet name="connect">
        // "host:port,host:port/chroot", e.g. "zk1:2181,zk2:2181,zk3:2181/myapp"
        await using var client = new CoordinationClient(connectionString, sessionTimeout: TimeSpan.FromSeconds(30));
        client.StateChanged += (_, e) => Console.WriteLine($"{e.PreviousState} -> {e.State} (session 0x{e.SessionId:x})");
        await client.ConnectAsync(ct);   // optional: the first operation connects too
        // </snippet>
    }

    public static async Task OptionsAsync(string connectionString, CancellationToken ct)
    {
        // <snippet name="options">
        var options = new CoordinationClientOptions
        {
            ConnectionString = connectionString,
            SessionTimeout = TimeSpan.FromSeconds(20),   // the server clamps it (2 to 20 ticks by default)
            ConnectTimeout = TimeSpan.FromSeconds(10),   // how long ConnectAsync tries the hosts
            RenewSessionOnExpiry = true,                 // after Lost, start a new session (Curator's behaviour)
            Retry = { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(2) },
        };
        options.Authentication.Add(new CoordinationAuthOptions { Scheme = "digest", Credentials = "app:secret" });
        await using var client = new CoordinationClient(options);
        await client.ConnectAsync(ct);
        // </snippet>
    }

    public static async Task DependencyInjectionAsync(string connectionString, CancellationToken ct)
    {
        // <snippet name="di">
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Coordination:ConnectionString"] = connectionString,
                ["Coordination:SessionTimeout"] = "00:00:15",
                ["Coordination:Retry:MaxRetries"] = "3",
            })
            .Build();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCoordinationClient(configuration.GetSection("Coordination"));

        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<CoordinationClient>();   // a singleton, closed with the provider
        await client.ExistsAsync("/", ct);
        // </snippet>
    }

    public static async Task NodesAndErrorsAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="errors">
        await client.EnsurePathAsync("/app", cancellationToken: ct);
        try
        {
            await client.CreateAsync("/app/settings", Encoding.UTF8.GetBytes("v1"), cancellationToken: ct);
        }
        catch (NodeExistsException e)
        {
            Console.WriteLine($"{e.Path} exists already ({e.Code})");
        }

        var (data, stat) = await client.GetDataAsync("/app/settings", ct);
        try
        {
            // A versioned write: fails if someone else wrote since we read.
            await client.SetDataAsync("/app/settings", Encoding.UTF8.GetBytes("v2"), stat.Version, ct);
        }
        catch (BadVersionException)
        {
            // Re-read and decide again.
        }
        catch (ConnectionLossException)
        {
            // The write may or may not have been applied: re-read to find out.
        }
        catch (SessionExpiredException)
        {
            // The session is gone, and with it every ephemeral node and watch: start over with a new client.
        }

        string job = await client.CreateAsync("/app/job-", data, mode: CreateMode.PersistentSequential, cancellationToken: ct);
        IReadOnlyList<string> children = await client.GetChildrenAsync("/app", ct);
        await client.DeleteAsync(job, cancellationToken: ct);
        // </snippet>
    }

    public static async Task WatchesAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);
        await client.EnsurePathAsync("/app/flags", cancellationToken: ct);

        // <snippet name="watches">
        // One-shot watch as a task: completes with the first change (or None/Expired when the session ends).
        var watched = await client.WatchDataAsync("/app/flags", ct);
        await client.SetDataAsync("/app/flags", [1], cancellationToken: ct);
        WatchEvent change = await watched.Changed;   // NodeDataChanged /app/flags

        // One-shot watch as a callback, run on the client's event thread.
        await client.ExistsAsync("/app/flags/beta", e => Console.WriteLine($"{e.Type} {e.Path}"), ct);

        // Persistent recursive watch as a stream: every create, change and delete below /app until disposed.
        await using (var stream = await client.AddWatchAsync("/app", AddWatchMode.PersistentRecursive, ct))
        {
            await client.CreateAsync("/app/flags/beta", null, cancellationToken: ct);
            await foreach (var e in stream.WithCancellation(ct))
            {
                Console.WriteLine($"{e.Type} {e.Path}");   // NodeCreated /app/flags/beta
                break;
            }
        }
        // </snippet>
    }

    public static async Task TransactionsAndRetriesAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);
        await client.EnsurePathAsync("/app/config", cancellationToken: ct);

        // <snippet name="transactions">
        var stat = await client.ExistsAsync("/app/config", ct) ?? throw new InvalidOperationException("no config");
        IReadOnlyList<OpResult> results = await client.Transaction()
            .Check("/app/config", stat.Version)
            .Create("/app/config/entry-", Encoding.UTF8.GetBytes("x"), CreateMode.PersistentSequential)
            .SetData("/app/config", Encoding.UTF8.GetBytes("updated"), stat.Version)
            .CommitAsync(ct);   // all or nothing; a failure throws with FailedOperationIndex

        // Idempotent operations can ride out connection loss with bounded exponential backoff.
        var children = await client.RetryAsync(token => client.GetChildrenAsync("/app/config", token), cancellationToken: ct);
        // </snippet>
    }
}
