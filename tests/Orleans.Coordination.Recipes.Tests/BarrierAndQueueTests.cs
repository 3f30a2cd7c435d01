using System.Globalization;
using Orleans.Coordination.Client;
using Orleans.Coordination.Client.Tests.TestSupport;
using Orleans.Coordination.Recipes.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>DistributedBarrier, DistributedDoubleBarrier and DistributedQueue.</summary>
public abstract class BarrierAndQueueTests(ServerFixture server) : RecipeTests(server)
{
    [Fact]
    public async Task Barrier_holds_waiters_until_removed()
    {
        var barrier = new DistributedBarrier(Client, P("barrier"));
        Assert.True(await Within(barrier.WaitOnBarrierAsync(TimeSpan.Zero)));   // not up: pass
        await Within(barrier.SetBarrierAsync());
        await Within(barrier.SetBarrierAsync());
        var waiters = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            waiters.Add(new DistributedBarrier(await ConnectAsync(), P("barrier")).WaitOnBarrierAsync());
        }

        Assert.False(await Within(barrier.WaitOnBarrierAsync(TimeSpan.FromMilliseconds(100))));
        await StillPending(Task.WhenAny(waiters));
        await Within(barrier.RemoveBarrierAsync());
        await Within(Task.WhenAll(waiters));
    }

    [Fact]
    public async Task Barrier_waiter_fails_when_its_session_expires()
    {
        await Within(new DistributedBarrier(Client, P("barrier")).SetBarrierAsync());
        var victim = await ConnectAsync();
        var waiting = new DistributedBarrier(victim, P("barrier")).WaitOnBarrierAsync();
        await StillPending(waiting);
        await ExpireSessionAsync(victim);
        await Assert.ThrowsAsync<SessionExpiredException>(() => Within(waiting));
    }

    [Fact]
    public async Task Double_barrier_enters_and_leaves_together()
    {
        const int members = 3;
        var barriers = new List<DistributedDoubleBarrier>();
        for (var i = 0; i < members; i++)
        {
            barriers.Add(new DistributedDoubleBarrier(await ConnectAsync(), P("double"), members, "m" + i));
        }

        var entering = barriers.Take(members - 1).Select(b => b.EnterAsync()).ToList();
        await StillPending(Task.WhenAny(entering));
        Assert.False(await Within(new DistributedDoubleBarrier(Client, P("double-alone"), 2).EnterAsync(TimeSpan.FromMilliseconds(100))));
        entering.Add(barriers[^1].EnterAsync());
        await Within(Task.WhenAll(entering));

        var leaving = barriers.Take(members - 1).Select(b => b.LeaveAsync()).ToList();
        await StillPending(Task.WhenAny(leaving));
        leaving.Add(barriers[^1].LeaveAsync());
        await Within(Task.WhenAll(leaving));
        Assert.Empty(await Client.GetChildrenAsync(P("double")));

        // Reusable once everyone left.
        var again = barriers.Select(b => b.EnterAsync()).ToList();
        await Within(Task.WhenAll(again));
        await Within(Task.WhenAll(barriers.Select(b => b.LeaveAsync())));
    }

    [Fact]
    public async Task Queue_hands_out_items_in_fifo_order_exactly_once()
    {
        var queue = new DistributedQueue(Client, P("queue"));
        for (var i = 0; i < 5; i++)
        {
            await Within(queue.PutAsync(B("item" + i)));
        }

        Assert.Equal(5, await queue.CountAsync());
        var other = new DistributedQueue(await ConnectAsync(), P("queue"));
        var taken = new List<string>();
        await using (var first = await Within(queue.TakeAsync()))
        await using (var second = await Within(other.TakeAsync()))
        {
            taken.Add(S(first.Data));
            taken.Add(S(second.Data));
            await second.CompleteAsync();
            await first.CompleteAsync();
        }

        while (await Within(other.TryTakeAsync(TimeSpan.Zero)) is { } item)
        {
            taken.Add(S(item.Data));
            await item.CompleteAsync();
        }

        Assert.Equal(["item0", "item1", "item2", "item3", "item4"], taken);
        Assert.Equal(0, await queue.CountAsync());
        Assert.Null(await Within(queue.TryTakeAsync(TimeSpan.FromMilliseconds(100))));
        var waiting = queue.TakeAsync();
        await StillPending(waiting);
        await other.PutAsync(B("late"));
        await using var late = await Within(waiting);
        Assert.Equal("late", S(late.Data));
    }

    [Fact]
    public async Task Queue_item_of_a_consumer_that_abandons_or_dies_is_taken_again()
    {
        var queue = new DistributedQueue(Client, P("queue"));
        await Within(queue.PutAsync(B("precious")));
        await Within(queue.PutAsync(B("second")));

        var abandoned = await Within(queue.TakeAsync());
        Assert.Equal("precious", S(abandoned.Data));
        await abandoned.DisposeAsync();   // not completed: back to the queue

        var victim = await ConnectAsync();
        var victimItem = await Within(new DistributedQueue(victim, P("queue")).TakeAsync());
        Assert.Equal("precious", S(victimItem.Data));
        var other = new DistributedQueue(await ConnectAsync(), P("queue"));
        await using (var second = await Within(other.TakeAsync()))
        {
            Assert.Equal("second", S(second.Data));
            await second.CompleteAsync();
        }

        var waiting = other.TakeAsync();
        await StillPending(waiting);

        await ExpireSessionAsync(victim);

        await Eventually(() => victimItem.IsLost, "the claim reported lost");
        await Assert.ThrowsAsync<QueueItemLostException>(() => victimItem.CompleteAsync());
        await using var redelivered = await Within(waiting);
        Assert.Equal("precious", S(redelivered.Data));
        await redelivered.CompleteAsync();
        Assert.Equal(0, await queue.CountAsync());
    }

    [Fact]
    public async Task Queue_loses_and_duplicates_nothing_across_processes()
    {
        const int producers = 2, consumers = 3, perProducer = 40;
        var gate = await PrepareGateAsync();
        var files = Enumerable.Range(0, consumers).Select(_ => Path.GetTempFileName()).ToList();
        var consumerProcesses = files.Select(f => StartWorker("consume", f)).ToList();
        await OpenGateAsync(gate, consumers, consumerProcesses);
        var producerProcesses = Enumerable.Range(0, producers).Select(p => StartWorker("produce", "p" + p, perProducer.ToString(CultureInfo.InvariantCulture))).ToList();
        foreach (var p in producerProcesses)
        {
            var result = await p.WaitAsync();
            Assert.True(p.ExitCode == 0, result);
        }

        // One poison pill per consumer, after every item (FIFO).
        var queue = new DistributedQueue(Client, P("queue"));
        for (var i = 0; i < consumers; i++)
        {
            await queue.PutAsync(B("STOP"));
        }

        foreach (var p in consumerProcesses)
        {
            var result = await p.WaitAsync();
            Assert.True(p.ExitCode == 0, result);
        }

        var consumed = files.SelectMany(File.ReadAllLines).ToList();
        var expected = Enumerable.Range(0, producers).SelectMany(p => Enumerable.Range(0, perProducer).Select(i => $"p{p}-{i}")).Order(StringComparer.Ordinal);
        Assert.Equal(expected, consumed.Order(StringComparer.Ordinal));
        Assert.Equal(0, await queue.CountAsync());
        files.ForEach(File.Delete);
    }
}

[Collection(SiloCollection.Silo)]
public sealed class BarrierAndQueueTests_OnSilo(SiloFixture server) : BarrierAndQueueTests(server);

[Collection(ZooKeeperCollection.ZooKeeper)]
public sealed class BarrierAndQueueTests_OnZooKeeper(ZooKeeperFixture server) : BarrierAndQueueTests(server);
