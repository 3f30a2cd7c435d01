using System.Globalization;
using Orleans.Coordination.Client.Tests.TestSupport;
using Orleans.Coordination.Recipes.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>InterProcessSemaphore.</summary>
public abstract class SemaphoreTests(ServerFixture server) : RecipeTests(server)
{
    [Fact]
    public async Task Semaphore_grants_at_most_max_leases_then_the_next_waiter()
    {
        var a = new InterProcessSemaphore(Client, P("sem"), maxLeases: 2);
        var b = new InterProcessSemaphore(await ConnectAsync(), P("sem"), maxLeases: 2);
        var first = await Within(a.AcquireAsync());
        var second = await Within(b.AcquireAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(await Within(a.TryAcquireAsync(TimeSpan.FromMilliseconds(200))));
        Assert.Equal(2, (await a.GetParticipantNodesAsync()).Count);

        var third = b.AcquireAsync();
        await StillPending(third);
        await first.DisposeAsync();
        await using var thirdLease = await Within(third);
        Assert.Equal(2, (await a.GetParticipantNodesAsync()).Count);
        await second.ReleaseAsync();
        await second.ReleaseAsync();   // twice is harmless
        Assert.Single(await a.GetParticipantNodesAsync());
    }

    [Fact]
    public async Task Semaphore_waiters_that_time_out_or_cancel_leave_no_lease_and_unblock_the_queue()
    {
        var holder = new InterProcessSemaphore(Client, P("sem"), maxLeases: 1);
        var held = await Within(holder.AcquireAsync());
        var other = new InterProcessSemaphore(await ConnectAsync(), P("sem"), maxLeases: 1);
        await Assert.ThrowsAsync<TimeoutException>(() => Within(other.AcquireAsync(TimeSpan.FromMilliseconds(200))));
        Assert.Single(await holder.GetParticipantNodesAsync());
        using var cts = new CancellationTokenSource();
        var cancelled = other.AcquireAsync(cts.Token);
        await StillPending(cancelled);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(cancelled));
        Assert.Single(await holder.GetParticipantNodesAsync());
        Assert.Empty(await Client.GetChildrenAsync(P("sem/locks")));

        // The queue moves on: the next waiter is not stuck behind the ones that left.
        var patient = new InterProcessSemaphore(await ConnectAsync(), P("sem"), maxLeases: 1).AcquireAsync();
        await StillPending(patient);
        await held.ReleaseAsync();
        await using var lease = await Within(patient);
        Assert.Single(await holder.GetParticipantNodesAsync());
    }

    [Fact]
    public async Task Semaphore_lease_of_an_expired_session_is_returned_and_reported_lost()
    {
        var victim = await ConnectAsync();
        var semaphore = new InterProcessSemaphore(victim, P("sem"), maxLeases: 1);
        var lease = await Within(semaphore.AcquireAsync());
        var waiting = new InterProcessSemaphore(Client, P("sem"), maxLeases: 1).AcquireAsync();
        await StillPending(waiting);

        await ExpireSessionAsync(victim);

        await Eventually(() => lease.LostToken.IsCancellationRequested, "the lease reported lost");
        Assert.True(lease.IsLost);
        await using var next = await Within(waiting);
        Assert.False(next.IsLost);
    }

    [Fact]
    public async Task Semaphore_limits_leases_across_processes()
    {
        const int workers = 4, leases = 2, iterations = 8;
        var gate = await PrepareGateAsync();
        var files = Enumerable.Range(0, workers).Select(_ => Path.GetTempFileName()).ToList();
        var processes = files.Select(f => StartWorker("semaphore", leases.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture), f)).ToList();
        await OpenGateAsync(gate, workers, processes);
        foreach (var p in processes)
        {
            var result = await p.WaitAsync();
            Assert.True(p.ExitCode == 0, result);
        }

        var intervals = Intervals(files.Select(File.ReadAllLines).ToList());
        Assert.Equal(workers * iterations, intervals.Count);
        var overlap = MaxOverlap(intervals);
        Assert.InRange(overlap, 1, leases);
        Assert.Empty(await new InterProcessSemaphore(Client, P("semaphore"), leases).GetParticipantNodesAsync());
        files.ForEach(File.Delete);
    }
}

[Collection(SiloCollection.Silo)]
public sealed class SemaphoreTests_OnSilo(SiloFixture server) : SemaphoreTests(server);

[Collection(ZooKeeperCollection.ZooKeeper)]
public sealed class SemaphoreTests_OnZooKeeper(ZooKeeperFixture server) : SemaphoreTests(server);
