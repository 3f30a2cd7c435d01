using System.Collections.Concurrent;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client.Tests;

public abstract partial class ClientContractTests
{
    [Fact]
    public async Task Data_watch_task_fires_once_on_change()
    {
        var path = P("watched");
        await Within(Client.CreateAsync(path, B("v0")));
        var watched = await Within(Client.WatchDataAsync(path));
        Assert.Equal("v0", S(watched.Data));
        Assert.False(watched.Changed.IsCompleted);

        var writer = await ConnectAsync();
        await Within(writer.SetDataAsync(path, B("v1")));
        var e = await Within(watched.Changed);
        Assert.Equal(new WatchEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, path), e);

        // One-shot: a second change reaches only a new watch.
        var again = await Within(Client.WatchDataAsync(path));
        Assert.Equal("v1", S(again.Data));
        await Within(writer.DeleteAsync(path));
        Assert.Equal(EventType.NodeDeleted, (await Within(again.Changed)).Type);
    }

    [Fact]
    public async Task Watch_event_arrives_before_the_reply_that_shows_the_change()
    {
        var path = P("ordered");
        await Within(Client.CreateAsync(path, B("a")));
        for (var i = 0; i < 20; i++)
        {
            var watched = await Within(Client.WatchDataAsync(path));
            await Within(Client.SetDataAsync(path, B("b" + i)));
            // The notification precedes the setData reply on the same connection.
            Assert.True(watched.Changed.IsCompleted, $"round {i}: watch not completed when the setData reply arrived");
        }
    }

    [Fact]
    public async Task Exists_watch_fires_node_created_for_missing_node_with_callback_and_task()
    {
        var path = P("later");
        var events = new ConcurrentQueue<WatchEvent>();
        Assert.Null(await Within(Client.ExistsAsync(path, e => events.Enqueue(e))));
        var watched = await Within(Client.WatchExistsAsync(path));
        Assert.Null(watched.Stat);

        await Within(Client.CreateAsync(path, null));
        Assert.Equal(EventType.NodeCreated, (await Within(watched.Changed)).Type);
        await Eventually(() => !events.IsEmpty, "the exists callback");
        Assert.Equal(new WatchEvent(EventType.NodeCreated, KeeperState.SyncConnected, path), Assert.Single(events));

        // On an existing node, exists watches data changes.
        var onExisting = await Within(Client.WatchExistsAsync(path));
        Assert.NotNull(onExisting.Stat);
        await Within(Client.SetDataAsync(path, B("x")));
        Assert.Equal(EventType.NodeDataChanged, (await Within(onExisting.Changed)).Type);
    }

    [Fact]
    public async Task Child_watch_fires_on_child_create_and_delete_watch_on_node_delete()
    {
        var parent = P("kids");
        await Within(Client.CreateAsync(parent, null));
        var events = new ConcurrentQueue<WatchEvent>();
        Assert.Empty(await Within(Client.GetChildrenAsync(parent, e => events.Enqueue(e))));
        var task = await Within(Client.WatchChildrenAsync(parent));

        var other = await ConnectAsync();
        await Within(other.CreateAsync(parent + "/k1", null));
        Assert.Equal(new WatchEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, parent), await Within(task.Changed));
        await Eventually(() => events.Count == 1, "the child callback");

        // A data watch and a child watch on the same node both see its deletion.
        var dataWatch = await Within(Client.WatchDataAsync(parent + "/k1"));
        var childWatch = await Within(Client.WatchChildrenAsync(parent + "/k1"));
        var parentWatch = await Within(Client.WatchChildrenAsync(parent));
        await Within(other.DeleteAsync(parent + "/k1"));
        Assert.Equal(EventType.NodeDeleted, (await Within(dataWatch.Changed)).Type);
        Assert.Equal(EventType.NodeDeleted, (await Within(childWatch.Changed)).Type);
        Assert.Equal(EventType.NodeChildrenChanged, (await Within(parentWatch.Changed)).Type);
        Assert.Single(events);
    }

    [Fact]
    public async Task Same_callback_registered_twice_is_called_once()
    {
        var path = P("dedupe");
        await Within(Client.CreateAsync(path, null));
        var calls = 0;
        void Handler(WatchEvent e) => Interlocked.Increment(ref calls);
        await Within(Client.GetDataAsync(path, Handler));
        await Within(Client.ExistsAsync(path, Handler));
        await Within(Client.SetDataAsync(path, B("1")));
        await Eventually(() => Volatile.Read(ref calls) > 0, "the callback");
        await Within(Client.SyncAsync(path));
        await Task.Delay(100);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Persistent_watch_stream_sees_every_change_until_disposed()
    {
        var path = P("persistent");
        await using var watch = await Within(Client.AddWatchAsync(path, AddWatchMode.Persistent));
        Assert.Equal(path, watch.Path);
        var writer = await ConnectAsync();
        await Within(writer.CreateAsync(path, null));
        await Within(writer.SetDataAsync(path, B("1")));
        await Within(writer.SetDataAsync(path, B("2")));
        await Within(writer.CreateAsync(path + "/child", null));
        await Within(writer.CreateAsync(path + "/child/grandchild", null));
        await Within(writer.DeleteAsync(path + "/child/grandchild"));
        await Within(writer.DeleteAsync(path + "/child"));
        await Within(writer.DeleteAsync(path));
        await Within(writer.CreateAsync(path, null));

        var expected = new[]
        {
            EventType.NodeCreated, EventType.NodeDataChanged, EventType.NodeDataChanged, EventType.NodeChildrenChanged,
            EventType.NodeChildrenChanged, EventType.NodeDeleted, EventType.NodeCreated,
        };
        foreach (var type in expected)
        {
            var e = await watch.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(type, e.Type);
            Assert.Equal(path, e.Path);
        }

        await watch.DisposeAsync();
        await Within(watch.Completion);
        await Within(writer.SetDataAsync(path, B("after")));
        await Within(Client.SyncAsync(path));
        Assert.False(watch.TryRead(out _));
    }

    [Fact]
    public async Task Recursive_watch_stream_sees_descendants_but_no_child_events()
    {
        var path = P("tree");
        await Within(Client.CreateAsync(path, null));
        await using var watch = await Within(Client.AddWatchAsync(path, AddWatchMode.PersistentRecursive));
        var writer = await ConnectAsync();
        await Within(writer.CreateAsync(path + "/a", null));
        await Within(writer.CreateAsync(path + "/a/b", null));
        await Within(writer.SetDataAsync(path + "/a/b", B("x")));
        await Within(writer.SetDataAsync(path, B("y")));
        await Within(writer.DeleteAsync(path + "/a/b"));
        await Within(writer.CreateAsync(P("sibling"), null));

        var expected = new (EventType, string)[]
        {
            (EventType.NodeCreated, path + "/a"),
            (EventType.NodeCreated, path + "/a/b"),
            (EventType.NodeDataChanged, path + "/a/b"),
            (EventType.NodeDataChanged, path),
            (EventType.NodeDeleted, path + "/a/b"),
        };
        foreach (var (type, p) in expected)
        {
            var e = await watch.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal((type, p), (e.Type, e.Path));
        }

        await Within(Client.SyncAsync(path));
        Assert.False(watch.TryRead(out var extra), $"unexpected {extra}");
    }

    [Fact]
    public async Task Remove_and_check_watches()
    {
        var path = P("removable");
        await Within(Client.CreateAsync(path, null));
        var watched = await Within(Client.WatchDataAsync(path));
        var children = await Within(Client.WatchChildrenAsync(path));
        Assert.True(await Within(Client.CheckWatchesAsync(path, WatcherType.Data)));
        Assert.True(await Within(Client.CheckWatchesAsync(path, WatcherType.Children)));

        await Within(Client.RemoveWatchesAsync(path, WatcherType.Data));
        Assert.Equal(new WatchEvent(EventType.DataWatchRemoved, KeeperState.SyncConnected, path), await Within(watched.Changed));
        Assert.False(await Within(Client.CheckWatchesAsync(path, WatcherType.Data)));
        Assert.True(await Within(Client.CheckWatchesAsync(path, WatcherType.Children)));
        await Assert.ThrowsAsync<NoWatcherException>(() => Client.RemoveWatchesAsync(path, WatcherType.Data));

        // One callback of two: the server keeps its watch for the other.
        var first = new ConcurrentQueue<WatchEvent>();
        var second = new ConcurrentQueue<WatchEvent>();
        Action<WatchEvent> a = first.Enqueue;
        Action<WatchEvent> b = second.Enqueue;
        await Within(Client.GetDataAsync(path, a));
        await Within(Client.GetDataAsync(path, b));
        await Within(Client.RemoveWatcherAsync(path, a, WatcherType.Data));
        await Eventually(() => first.Count == 1, "the removal event");
        Assert.Equal(EventType.DataWatchRemoved, first.Single().Type);
        await Within(Client.SetDataAsync(path, B("changed")));
        await Eventually(() => second.Count == 1, "the remaining callback");
        Assert.Equal(EventType.NodeDataChanged, second.Single().Type);
        Assert.Single(first);

        await Within(Client.RemoveWatchesAsync(path, WatcherType.Children));
        Assert.Equal(EventType.ChildWatchRemoved, (await Within(children.Changed)).Type);
        await Within(Client.CreateAsync(path + "/c", null));
        Assert.False(await Within(Client.CheckWatchesAsync(path, WatcherType.Children)));
    }

    [Fact]
    public async Task Persistent_callback_watch_can_be_removed()
    {
        var path = P("pcallback");
        var events = new ConcurrentQueue<WatchEvent>();
        Action<WatchEvent> handler = events.Enqueue;
        await Within(Client.AddWatchAsync(path, AddWatchMode.Persistent, handler));
        await Within(Client.CreateAsync(path, null));
        await Within(Client.SetDataAsync(path, B("1")));
        await Eventually(() => events.Count == 2, "two events");
        await Within(Client.RemoveWatchesAsync(path, WatcherType.Persistent));
        await Eventually(() => events.Count == 3, "the removal event");
        await Within(Client.SetDataAsync(path, B("2")));
        await Within(Client.SyncAsync(path));
        await Task.Delay(100);
        Assert.Equal([EventType.NodeCreated, EventType.NodeDataChanged, EventType.PersistentWatchRemoved], events.Select(e => e.Type));
    }
}
