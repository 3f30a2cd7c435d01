using System.Text;
using Microsoft.Extensions.Configuration;
using Orleans.Coordination.Client;
using Orleans.Coordination.Recipes;

namespace Orleans.Coordination.Samples;

/// <summary>The recipe snippets of docs/client.md. Text between snippet markers is copied verbatim into the docs.</summary>
public static class RecipeSamples
{
    public static async Task MutexAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="mutex">
        var mutex = new InterProcessMutex(client, "/locks/orders");
        await using (var handle = await mutex.AcquireAsync(TimeSpan.FromSeconds(10), ct))
        {
            // handle.LostToken is cancelled if the lock is lost (session expired, client closed, node deleted).
            await Task.Delay(10, handle.LostToken);

            await using var again = await mutex.AcquireAsync(ct);   // reentrant within the same async flow
        }

        LockHandle? maybe = await mutex.TryAcquireAsync(TimeSpan.Zero, ct);   // null when somebody else holds it
        if (maybe is not null)
        {
            await maybe.ReleaseAsync();
        }
        // </snippet>
    }

    public static async Task ReadWriteLockAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="rwlock">
        var rw = new InterProcessReadWriteLock(client, "/locks/catalog");
        await using (await rw.ReadLock.AcquireAsync(ct))
        {
            // Any number of readers at once; writers wait.
        }

        await using (await rw.WriteLock.AcquireAsync(ct))
        {
            // Alone. Taking the read lock here too is allowed (downgrade).
            await using var read = await rw.ReadLock.AcquireAsync(ct);
        }
        // </snippet>
    }

    public static async Task SemaphoreAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="semaphore">
        var semaphore = new InterProcessSemaphore(client, "/semaphores/downloads", maxLeases: 3);
        await using (var lease = await semaphore.AcquireAsync(TimeSpan.FromSeconds(30), ct))
        {
            // At most 3 leases are held across all processes; lease.LostToken reports a lost lease.
            await Task.Delay(10, lease.LostToken);
        }
        // </snippet>
    }

    public static async Task LeaderLatchAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="latch">
        await using var latch = new LeaderLatch(client, "/election/reports", id: Environment.MachineName);
        latch.IsLeaderChanged += (_, isLeader) => Console.WriteLine(isLeader ? "leading" : "not leading");
        await latch.StartAsync(ct);

        await latch.AwaitLeadershipAsync(ct);
        // Lead until leadership is lost (session lost, latch closed): LeadershipToken is then cancelled.
        CancellationToken term = latch.LeadershipToken;
        Console.WriteLine($"{latch.Id} leads: {latch.HasLeadership}, term over: {term.IsCancellationRequested}");
        // </snippet>
    }

    public static async Task LeaderSelectorAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);
        var led = new TaskCompletionSource();

        // <snippet name="selector">
        await using var selector = new LeaderSelector(client, "/election/scheduler", async term =>
        {
            // Runs while this process leads; term is cancelled when leadership is lost.
            // Returning gives leadership up; with autoRequeue the selector queues again.
            led.TrySetResult();
            await Task.Delay(50, term);
        }, autoRequeue: true);
        selector.Start();
        // </snippet>

        await led.Task.WaitAsync(ct);
    }

    public static async Task BarrierAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);
        await using var other = new CoordinationClient(connectionString);

        // <snippet name="barrier">
        var barrier = new DistributedBarrier(client, "/barriers/deploy");
        await barrier.SetBarrierAsync(ct);

        // Workers (any process) wait until the barrier is removed.
        var worker = new DistributedBarrier(other, "/barriers/deploy").WaitOnBarrierAsync(ct);

        await barrier.RemoveBarrierAsync(ct);
        await worker;
        // </snippet>
    }

    public static async Task DoubleBarrierAsync(string connectionString, CancellationToken ct)
    {
        var clients = Enumerable.Range(0, 3).Select(_ => new CoordinationClient(connectionString)).ToList();
        try
        {
            await Task.WhenAll(clients.Select(client => DoubleBarrierMemberAsync(client, ct)));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    public static async Task QueueAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="queue">
        var queue = new DistributedQueue(client, "/queues/emails");
        await queue.PutAsync(Encoding.UTF8.GetBytes("welcome:alice@example.com"), ct);

        // Take = claim (an ephemeral node), process, complete (item and claim deleted atomically).
        // If this process dies before completing, its claim vanishes with its session and the item is taken again.
        await using (var item = await queue.TakeAsync(ct))
        {
            Console.WriteLine(Encoding.UTF8.GetString(item.Data));
            await item.CompleteAsync(ct);
        }
        // </snippet>
    }

    public static async Task SharedCountAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="sharedcount">
        await using var shared = new SharedCount(client, "/counts/workers", seedValue: 0);
        shared.CountChanged += (_, v) => Console.WriteLine($"count {v.Value} (version {v.Version})");
        await shared.StartAsync(ct);

        VersionedValue<int> seen = await shared.GetAsync(ct);
        bool won = await shared.TrySetCountAsync(seen, seen.Value + 1, ct);   // false if someone wrote first
        // </snippet>
    }

    public static async Task AtomicLongAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="atomiclong">
        var counter = new DistributedAtomicLong(client, "/counters/orders");
        AtomicValue<long> result = await counter.IncrementAsync(ct);
        if (result.Succeeded)
        {
            Console.WriteLine($"{result.PreValue} -> {result.PostValue}");
        }

        AtomicValue<long> swapped = await counter.CompareAndSetAsync(expectedValue: result.PostValue, newValue: 100, ct);
        // </snippet>
    }

    public static async Task NodeCacheAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="nodecache">
        await using var cache = new NodeCache(client, "/config/feature-flags");
        cache.Changed += (_, e) => Console.WriteLine($"flags: {e.Current?.Data.Length ?? -1} bytes");
        await cache.StartAsync(ct);        // watch first, then read: nothing slips through
        NodeData? current = cache.Current; // null while the node does not exist
        // </snippet>
    }

    public static async Task TreeCacheAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);
        await client.EnsurePathAsync("/services/orders", cancellationToken: ct);

        // <snippet name="treecache">
        await using var tree = new TreeCache(client, "/services");
        tree.Changed += (_, e) => Console.WriteLine($"{e.Type} {e.Path}");
        await tree.StartAsync(ct);
        IReadOnlyDictionary<string, NodeData> services = tree.GetChildren("/services");
        NodeData? orders = tree.GetData("/services/orders");
        // </snippet>
    }

    public static async Task ServiceDiscoveryAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);

        // <snippet name="discovery">
        var discovery = new ServiceDiscovery(client, "/services");
        await using var registration = await discovery.RegisterAsync(new ServiceInstance
        {
            Name = "orders",
            Address = "10.0.0.7",
            Port = 8080,
            Metadata = new Dictionary<string, string> { ["zone"] = "eu-1" },
        }, ct);

        IReadOnlyList<ServiceInstance> instances = await discovery.QueryInstancesAsync("orders", ct);

        await foreach (var current in discovery.WatchInstancesAsync("orders", ct))
        {
            Console.WriteLine($"orders: {string.Join(", ", current.Select(i => $"{i.Address}:{i.Port}"))}");
            break;   // a real consumer keeps iterating: a new list arrives after every change
        }
        // </snippet>
    }

    public static async Task ConfigurationAsync(string connectionString, CancellationToken ct)
    {
        await using var client = new CoordinationClient(connectionString);
        await client.EnsurePathAsync("/config", cancellationToken: ct);
        await client.CreateAsync("/config/orders", Encoding.UTF8.GetBytes("""{ "Orders": { "Limit": 5 } }"""), cancellationToken: ct);

        // <snippet name="configuration">
        await using var watcher = new ConfigurationWatcher(client, "/config/orders");
        watcher.Changed += (_, e) => Console.WriteLine("configuration changed");
        await watcher.StartAsync(ct);
        OrderSettings? settings = watcher.Get<OrderSettings>();   // the node's JSON, deserialized

        // Or as Microsoft.Extensions.Configuration, reloaded whenever the node changes:
        IConfiguration configuration = new ConfigurationBuilder()
            .AddCoordinationJson(watcher)
            .Build();
        string? limit = configuration["Orders:Limit"];   // "5"
        // </snippet>

        if (limit != "5")
        {
            throw new InvalidOperationException($"Orders:Limit is {limit}");
        }
    }

    private static async Task DoubleBarrierMemberAsync(CoordinationClient client, CancellationToken ct)
    {
        // <snippet name="doublebarrier">
        var barrier = new DistributedDoubleBarrier(client, "/barriers/batch-42", memberCount: 3);
        await barrier.EnterAsync(ct);   // returns when all 3 members are in
        // ... compute ...
        await barrier.LeaveAsync(ct);   // returns when all 3 are done
        // </snippet>
    }
}

/// <summary>Settings read by the configuration sample.</summary>
public sealed record OrderSettings(OrderLimits Orders);

/// <summary>Part of <see cref="OrderSettings"/>.</summary>
public sealed record OrderLimits(int Limit);
