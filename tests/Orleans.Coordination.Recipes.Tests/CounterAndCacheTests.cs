using System.Collections.Concurrent;
using Orleans.Coordination.Client;
using Orleans.Coordination.Client.Tests.TestSupport;
using Orleans.Coordination.Recipes.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>SharedCount, DistributedAtomicLong, NodeCache and TreeCache.</summary>
public abstract class CounterAndCacheTests(ServerFixture server) : RecipeTests(server)
{
    [Fact]
    public async Task SharedCount_compare_and_set_and_change_events()
    {
        await using var a = new SharedCount(Client, P("count"), seedValue: 7);
        var seen = new ConcurrentQueue<int>();
        a.CountChanged += (_, v) => seen.Enqueue(v.Value);
        await Within(a.StartAsync());
        Assert.Equal(7, a.Count);
        await using var b = new SharedCount(await ConnectAsync(), P("count"), seedValue: 100);
        await Within(b.StartAsync());
        Assert.Equal(7, b.Count);   // seeded once

        var read = await Within(a.GetAsync());
        Assert.True(await Within(b.TrySetCountAsync(read, read.Value + 1)));
        Assert.False(await Within(a.TrySetCountAsync(read, 42)));   // stale version
        await Eventually(() => a.Count == 8, "a sees 8");
        await Within(a.SetCountAsync(20));
        await Eventually(() => b.Count == 20 && seen.Contains(20), "both see 20");
        Assert.Equal(2, a.VersionedValue.Version);
    }

    [Fact]
    public async Task AtomicLong_concurrent_increments_lose_nothing()
    {
        const int clients = 4, each = 20;
        var counters = new List<DistributedAtomicLong>();
        for (var i = 0; i < clients; i++)
        {
            counters.Add(new DistributedAtomicLong(await ConnectAsync(), P("counters/hits")));
        }

        var results = await Within(Task.WhenAll(counters.Select(async c =>
        {
            var mine = new List<AtomicValue<long>>();
            for (var i = 0; i < each; i++)
            {
                mine.Add(await c.IncrementAsync());
            }

            return mine;
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.All(all, r => Assert.True(r.Succeeded && r.PostValue == r.PreValue + 1));
        Assert.Equal(Enumerable.Range(1, clients * each).Select(v => (long)v), all.Select(r => r.PostValue).Order());
        Assert.Equal(clients * each, await counters[0].GetAsync());
    }

    [Fact]
    public async Task AtomicLong_compare_and_set_and_arithmetic()
    {
        var counter = new DistributedAtomicLong(Client, P("value"));
        Assert.Equal(0, await counter.GetAsync());
        Assert.Equal(new AtomicValue<long>(true, 0, 10), await counter.AddAsync(10));
        Assert.Equal(new AtomicValue<long>(false, 10, 10), await counter.CompareAndSetAsync(3, 4));
        Assert.Equal(new AtomicValue<long>(true, 10, 4), await counter.CompareAndSetAsync(10, 4));
        Assert.Equal(new AtomicValue<long>(true, 4, 3), await counter.DecrementAsync());
        Assert.Equal(new AtomicValue<long>(true, 3, long.MinValue), await counter.SetAsync(long.MinValue));
        Assert.Equal(long.MinValue, await new DistributedAtomicLong(await ConnectAsync(), P("value")).GetAsync());
    }

    [Fact]
    public async Task NodeCache_follows_creation_changes_and_deletion()
    {
        await using var cache = new NodeCache(Client, P("node"));
        var events = new ConcurrentQueue<NodeCacheChangedEventArgs>();
        cache.Changed += (_, e) => events.Enqueue(e);
        await Within(cache.StartAsync());
        Assert.Null(cache.Current);
        Assert.True(cache.IsSynchronized);

        var writer = await ConnectAsync();
        await writer.CreateAsync(P("node"), B("v1"));
        await Eventually(() => S(cache.Current?.Data) == "v1", "v1");
        await writer.SetDataAsync(P("node"), B("v2"));
        await Eventually(() => S(cache.Current?.Data) == "v2", "v2");
        await writer.CreateAsync(P("node/child"), null);   // children do not change the node's data
        await writer.DeleteAsync(P("node/child"));
        await writer.DeleteAsync(P("node"));
        await Eventually(() => cache.Current is null && events.Count == 3, "deletion");
        Assert.Equal(["v1", "v2", "<null>"], events.Select(e => S(e.Current?.Data)));
        Assert.Equal("v2", S(events.Last().Previous?.Data));
    }

    [Fact]
    public async Task NodeCache_resynchronizes_after_a_reconnect()
    {
        await Within(Client.CreateAsync(P("node"), B("before")));
        var reader = await ConnectAsync();
        await using var cache = new NodeCache(reader, P("node"));
        var sync = new ConcurrentQueue<bool>();
        cache.SynchronizationChanged += (_, s) => sync.Enqueue(s);
        await Within(cache.StartAsync());
        Assert.Equal("before", S(cache.Current?.Data));

        reader.DropConnectionForTesting();
        var write = Client.SetDataAsync(P("node"), B("during"));
        await Within(write);
        await Eventually(() => S(cache.Current?.Data) == "during", "the change made around the reconnect");
        await Eventually(() => sync.SequenceEqual([true, false, true]), "synchronized, unsynchronized, synchronized again");
        Assert.True(cache.IsSynchronized);
    }

    [Fact]
    public async Task TreeCache_loads_the_tree_and_follows_changes()
    {
        await Within(Client.CreateAsync(P("tree"), B("root")));
        await Within(Client.CreateAsync(P("tree/a"), B("a")));
        await Within(Client.CreateAsync(P("tree/a/a1"), B("a1")));
        await Within(Client.CreateAsync(P("tree/b"), null));

        await using var tree = new TreeCache(Client, P("tree"));
        var events = new ConcurrentQueue<TreeCacheEvent>();
        tree.Changed += (_, e) => events.Enqueue(e);
        await Within(tree.StartAsync());
        Assert.Equal(4, tree.Count);
        Assert.Equal(TreeCacheEventType.Initialized, events.Last().Type);
        Assert.Equal(4, events.Count(e => e.Type == TreeCacheEventType.NodeAdded));
        Assert.Equal(["a", "b"], tree.GetChildren(P("tree")).Keys.Order());
        Assert.Equal("a1", S(tree.GetData(P("tree/a/a1"))?.Data));

        var writer = await ConnectAsync();
        await writer.CreateAsync(P("tree/b/b1"), B("b1"));
        await writer.SetDataAsync(P("tree/a"), B("a-2"));
        await writer.DeleteAsync(P("tree/a/a1"));
        await Eventually(() => tree.GetData(P("tree/b/b1")) is not null && S(tree.GetData(P("tree/a"))?.Data) == "a-2" && tree.GetData(P("tree/a/a1")) is null, "the three changes");
        await Eventually(
            () => events.Any(e => e.Type == TreeCacheEventType.NodeAdded && e.Path == P("tree/b/b1"))
                && events.Any(e => e.Type == TreeCacheEventType.NodeUpdated && e.Path == P("tree/a"))
                && events.Any(e => e.Type == TreeCacheEventType.NodeRemoved && e.Path == P("tree/a/a1")),
            "an event for each change");

        await writer.DeleteRecursiveAsync(P("tree"));
        await Eventually(() => tree.Count == 0, "the tree gone");
        await writer.CreateAsync(P("tree"), B("again"));
        await Eventually(() => S(tree.GetData(P("tree"))?.Data) == "again", "the root back");
    }

    [Fact]
    public async Task TreeCache_resynchronizes_after_a_reconnect()
    {
        await Within(Client.CreateAsync(P("tree"), null));
        await Within(Client.CreateAsync(P("tree/old"), null));
        var reader = await ConnectAsync();
        await using var tree = new TreeCache(reader, P("tree"));
        var events = new ConcurrentQueue<TreeCacheEvent>();
        tree.Changed += (_, e) => events.Enqueue(e);
        await Within(tree.StartAsync());

        reader.DropConnectionForTesting();
        await Within(Client.CreateAsync(P("tree/new"), B("n")));
        await Within(Client.DeleteAsync(P("tree/old")));
        await Eventually(() => tree.GetData(P("tree/new")) is not null && tree.GetData(P("tree/old")) is null, "the changes around the reconnect");
        await Eventually(() => events.Any(e => e.Type == TreeCacheEventType.Resynchronized), "a resync");
        Assert.Contains(events, e => e.Type == TreeCacheEventType.ConnectionSuspended);
        await Eventually(() => events.Any(e => e.Type == TreeCacheEventType.NodeAdded && e.Path == P("tree/new")), "the new node's event");
        Assert.True(tree.IsSynchronized);
    }

    [Fact]
    public async Task Caches_of_a_renewing_client_recover_after_session_expiry()
    {
        var renewing = await ConnectAsync(o => o.RenewSessionOnExpiry = true);
        await Within(Client.CreateAsync(P("node"), B("v1")));
        await using var cache = new NodeCache(renewing, P("node"));
        await Within(cache.StartAsync());
        var oldSession = renewing.SessionId;
        await using (var thief = new CoordinationClient(new CoordinationClientOptions { ConnectionString = Server.ConnectionString, SessionId = renewing.SessionId, SessionPassword = renewing.SessionPassword }))
        {
            await Within(thief.ConnectAsync());
        }

        await Eventually(() => renewing.SessionId != oldSession && renewing.IsConnected, "a renewed session");
        await Within(Client.SetDataAsync(P("node"), B("v2")));
        await Eventually(() => S(cache.Current?.Data) == "v2", "the cache following again");
    }
}

[Collection(SiloCollection.Silo)]
public sealed class CounterAndCacheTests_OnSilo(SiloFixture server) : CounterAndCacheTests(server);

[Collection(ZooKeeperCollection.ZooKeeper)]
public sealed class CounterAndCacheTests_OnZooKeeper(ZooKeeperFixture server) : CounterAndCacheTests(server);
