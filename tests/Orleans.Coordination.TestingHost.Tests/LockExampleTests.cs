using Orleans.Coordination.Recipes;

namespace Orleans.Coordination.TestingHost.Tests;

/// <summary>The docs example: an application's lock, tested against a leader crash.</summary>
public sealed class LockExampleTests
{
    [Fact]
    public async Task A_lock_held_across_a_leader_crash_stays_held_and_exclusive()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var worker1 = await cluster.CreateClientAsync();
        await using var worker2 = await cluster.CreateClientAsync();
        var mutex1 = new InterProcessMutex(worker1, "/locks/job");
        var mutex2 = new InterProcessMutex(worker2, "/locks/job");

        var handle = await mutex1.AcquireAsync(ClientSteps.Wait);

        await cluster.KillSiloAsync(await cluster.WaitForLeaderAsync());
        await cluster.WaitForLeaderAsync();

        // The holder's session survives the failover, so the lock is neither lost nor up for grabs.
        await worker2.RetryAsync(ct => worker2.ExistsAsync("/locks/job", ct));
        Assert.Null(await worker2.RetryAsync(ct => mutex2.TryAcquireAsync(TimeSpan.FromSeconds(1), ct)));
        Assert.False(handle.IsLost);

        await worker1.RetryAsync(_ => handle.ReleaseAsync());
        await using var second = await mutex2.AcquireAsync(ClientSteps.Wait);
        Assert.True(mutex2.IsAcquiredInThisProcess);
        Assert.False(mutex1.IsAcquiredInThisProcess);
    }
}
