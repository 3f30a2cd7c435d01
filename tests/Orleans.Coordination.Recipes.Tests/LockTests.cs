using System.Globalization;
using Orleans.Coordination.Client;
using Orleans.Coordination.Client.Tests.TestSupport;
using Orleans.Coordination.Recipes.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>InterProcessMutex and InterProcessReadWriteLock.</summary>
public abstract class LockTests(ServerFixture server) : RecipeTests(server)
{
    [Fact]
    public async Task Mutex_is_exclusive_and_granted_in_request_order()
    {
        var clients = new[] { Client, await ConnectAsync(), await ConnectAsync() };
        var mutexes = clients.Select(c => new InterProcessMutex(c, P("lock"))).ToArray();

        var first = await Within(mutexes[0].AcquireAsync());
        var second = mutexes[1].AcquireAsync();
        await Eventually(() => mutexes[0].GetParticipantNodesAsync().Result.Count == 2, "the second contender queued");
        var third = mutexes[2].AcquireAsync();
        await Eventually(() => mutexes[0].GetParticipantNodesAsync().Result.Count == 3, "the third contender queued");
        await StillPending(second);
        await StillPending(third, 50);

        await first.ReleaseAsync();
        var secondHandle = await Within(second);
        await StillPending(third);
        Assert.Equal(ZkPathsName(secondHandle.Path), (await mutexes[0].GetParticipantNodesAsync())[0]);

        await secondHandle.DisposeAsync();
        await using var thirdHandle = await Within(third);
        Assert.True(mutexes[2].IsAcquiredInThisProcess);
        Assert.False(mutexes[0].IsAcquiredInThisProcess);
    }

    [Fact]
    public async Task Mutex_is_reentrant_in_its_async_flow_only()
    {
        var mutex = new InterProcessMutex(Client, P("lock"));
        var outer = await Within(mutex.AcquireAsync());
        var inner = await Within(mutex.AcquireAsync(TimeSpan.Zero));
        Assert.Equal(outer.Path, inner.Path);
        Assert.True(mutex.IsHeldByCurrentFlow);

        // Another flow (another request, say) of the same process and instance waits like everyone else;
        // tasks started from the holding flow inherit it, so this one is started without it.
        Task<LockHandle?> otherFlow;
        using (ExecutionContext.SuppressFlow())
        {
            otherFlow = Task.Run(() => mutex.TryAcquireAsync(TimeSpan.FromMilliseconds(200)));
        }

        Assert.Null(await Within(otherFlow));
        Assert.True(await Within(Task.Run(() => mutex.IsHeldByCurrentFlow)));

        await inner.DisposeAsync();
        Assert.NotNull(await Client.ExistsAsync(outer.Path));
        await outer.DisposeAsync();
        Assert.Null(await Client.ExistsAsync(outer.Path));
        Assert.Empty(await mutex.GetParticipantNodesAsync());
    }

    [Fact]
    public async Task Mutex_timeout_and_cancellation_leave_the_queue()
    {
        var holder = new InterProcessMutex(Client, P("lock"));
        await using var held = await Within(holder.AcquireAsync());
        var waiter = new InterProcessMutex(await ConnectAsync(), P("lock"));

        Assert.Null(await Within(waiter.TryAcquireAsync(TimeSpan.FromMilliseconds(200))));
        await Assert.ThrowsAsync<TimeoutException>(() => Within(waiter.AcquireAsync(TimeSpan.FromMilliseconds(100))));
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(waiter.AcquireAsync(cts.Token)));

        Assert.Single(await holder.GetParticipantNodesAsync());
    }

    [Fact]
    public async Task Mutex_waiter_whose_predecessor_gives_up_watches_the_next_one()
    {
        var a = new InterProcessMutex(Client, P("lock"));
        var b = new InterProcessMutex(await ConnectAsync(), P("lock"));
        var c = new InterProcessMutex(await ConnectAsync(), P("lock"));
        var held = await Within(a.AcquireAsync());
        using var giveUp = new CancellationTokenSource();
        var bWaits = b.AcquireAsync(giveUp.Token);
        await Eventually(() => a.GetParticipantNodesAsync().Result.Count == 2, "b queued");
        var cWaits = c.AcquireAsync();
        await Eventually(() => a.GetParticipantNodesAsync().Result.Count == 3, "c queued");

        // c watches b only; b leaves the queue: c must move on to watching a, not acquire.
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(bWaits));
        await StillPending(cWaits);

        await held.ReleaseAsync();
        await using var cHandle = await Within(cWaits);
        Assert.False(cHandle.IsLost);
    }

    [Fact]
    public async Task Mutex_is_released_and_reported_lost_when_the_session_expires()
    {
        var victim = await ConnectAsync();
        var mutex = new InterProcessMutex(victim, P("lock"));
        var handle = await Within(mutex.AcquireAsync());
        var lost = new TaskCompletionSource();
        handle.LostToken.Register(() => lost.TrySetResult());
        var contender = new InterProcessMutex(Client, P("lock"));
        var waiting = contender.AcquireAsync();
        await StillPending(waiting);

        await ExpireSessionAsync(victim);

        await Within(lost.Task);
        Assert.True(handle.IsLost);
        Assert.Equal("the session was lost", handle.LostReason);
        await using var taken = await Within(waiting);
        Assert.False(taken.IsLost);
        await handle.DisposeAsync();   // releasing a lost lock is harmless
        Assert.NotNull(await Client.ExistsAsync(taken.Path));
    }

    [Fact]
    public async Task Mutex_under_suspended_policy_is_lost_on_a_dropped_connection()
    {
        var strictClient = await ConnectAsync();
        var strict = await Within(new InterProcessMutex(strictClient, P("strict"), lossPolicy: OwnershipLossPolicy.ConnectionSuspended).AcquireAsync());
        var lenientClient = await ConnectAsync();
        var lenient = await Within(new InterProcessMutex(lenientClient, P("lenient")).AcquireAsync());

        strictClient.DropConnectionForTesting();
        lenientClient.DropConnectionForTesting();
        await Eventually(() => strict.LostToken.IsCancellationRequested, "the strict lock lost");
        await Eventually(() => lenientClient.State == ConnectionState.Reconnected, "the lenient client reconnected");
        await Task.Delay(200);
        Assert.False(lenient.IsLost);
        Assert.Equal("the connection was suspended", strict.LostReason);
        await strict.DisposeAsync();
        await lenient.DisposeAsync();
    }

    [Fact]
    public async Task Mutex_is_exclusive_across_processes()
    {
        const int workers = 4, iterations = 15;
        await Within(Client.CreateAsync(P("counter"), B("0")));
        var gate = await PrepareGateAsync();
        var files = Enumerable.Range(0, workers).Select(_ => Path.GetTempFileName()).ToList();
        var processes = files.Select(f => StartWorker("lock", iterations.ToString(CultureInfo.InvariantCulture), f)).ToList();
        await OpenGateAsync(gate, workers, processes);

        foreach (var p in processes)
        {
            var result = await p.WaitAsync();
            Assert.True(p.ExitCode == 0, result);
        }

        // Increments made by read-then-write under the lock: any overlap would have lost some.
        var counter = await Client.GetDataAsync(P("counter"));
        Assert.Equal(workers * iterations, int.Parse(S(counter.Data), CultureInfo.InvariantCulture));
        var intervals = Intervals(files.Select(File.ReadAllLines).ToList());
        Assert.Equal(workers * iterations, intervals.Count);
        Assert.Equal(1, MaxOverlap(intervals));
        Assert.Empty(await Client.GetChildrenAsync(P("lock")));
        files.ForEach(File.Delete);
    }

    [Fact]
    public async Task Lock_and_queue_claim_of_a_killed_process_are_released_when_its_session_times_out()
    {
        var queue = new DistributedQueue(Client, P("queue"));
        await Within(queue.PutAsync(B("job")));
        var file = Path.GetTempFileName();
        var holder = StartWorker("hold", file);
        await Eventually(() => File.ReadAllText(file).StartsWith("held", StringComparison.Ordinal) || holder.HasExited, "the worker holding the lock and the item");
        Assert.False(holder.HasExited, await Task.Run(() => holder.HasExited ? holder.WaitAsync() : Task.FromResult("")));
        var mutex = new InterProcessMutex(Client, P("lock"));
        Assert.Null(await Within(mutex.TryAcquireAsync(TimeSpan.FromMilliseconds(100))));
        Assert.Null(await Within(queue.TryTakeAsync(TimeSpan.Zero)));

        await holder.KillAsync();

        // Its 4 s session expires on the server: the lock passes on and the item is delivered again.
        await using var handle = await Within(mutex.AcquireAsync());
        await using var item = await Within(queue.TakeAsync());
        Assert.Equal("job", S(item.Data));
        await item.CompleteAsync();
        File.Delete(file);
    }

    [Fact]
    public async Task ReadWriteLock_shares_reads_and_excludes_writes()
    {
        var rw1 = new InterProcessReadWriteLock(Client, P("rw"));
        var rw2 = new InterProcessReadWriteLock(await ConnectAsync(), P("rw"));
        var rw3 = new InterProcessReadWriteLock(await ConnectAsync(), P("rw"));

        var read1 = await Within(rw1.ReadLock.AcquireAsync());
        var read2 = await Within(rw2.ReadLock.AcquireAsync(TimeSpan.FromSeconds(5)));   // readers share
        var write = rw3.WriteLock.AcquireAsync();
        await StillPending(write);

        // A reader arriving after a waiting writer queues behind it (writers do not starve).
        var lateReader = new InterProcessReadWriteLock(await ConnectAsync(), P("rw")).ReadLock.AcquireAsync();
        await StillPending(lateReader);

        await read1.DisposeAsync();
        await StillPending(write, 200);
        await read2.DisposeAsync();
        var writeHandle = await Within(write);
        await StillPending(lateReader);
        await writeHandle.DisposeAsync();
        await using var late = await Within(lateReader);
    }

    [Fact]
    public async Task ReadWriteLock_writer_may_downgrade_to_reader()
    {
        var rw = new InterProcessReadWriteLock(Client, P("rw"));
        var other = new InterProcessReadWriteLock(await ConnectAsync(), P("rw"));
        var write = await Within(rw.WriteLock.AcquireAsync());
        var read = await Within(rw.ReadLock.AcquireAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(await Within(other.ReadLock.TryAcquireAsync(TimeSpan.FromMilliseconds(100))));

        await write.DisposeAsync();
        await using (var shared = await Within(other.ReadLock.AcquireAsync(TimeSpan.FromSeconds(5))))
        {
            Assert.Null(await Within(other.WriteLock.TryAcquireAsync(TimeSpan.FromMilliseconds(100))));
        }

        await read.DisposeAsync();
        await using var exclusive = await Within(other.WriteLock.AcquireAsync(TimeSpan.FromSeconds(5)));
    }

    private static string ZkPathsName(string path) => path[(path.LastIndexOf('/') + 1)..];
}

[Collection(SiloCollection.Silo)]
public sealed class LockTests_OnSilo(SiloFixture server) : LockTests(server);

[Collection(ZooKeeperCollection.ZooKeeper)]
public sealed class LockTests_OnZooKeeper(ZooKeeperFixture server) : LockTests(server);
