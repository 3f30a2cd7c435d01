using Orleans.Coordination.Compat.Tests.Infrastructure;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>
/// Apache Curator 5.4 (Debian libcurator-*-java) recipes against the server, through java/CuratorProbe.java:
/// InterProcessMutex with contending clients, LeaderLatch fail-over, CuratorCache on persistent recursive
/// watches, DistributedAtomicLong and transactions.
/// </summary>
public abstract class CuratorTests(CoordinationServer server, ITestOutputHelper output)
{
    [Fact] public Task InterProcessMutexWithContendingClients() => RunAsync("lock");

    [Fact] public Task LeaderLatchFailsOver() => RunAsync("leaderLatch");

    [Fact] public Task CuratorCacheSeesEveryChange() => RunAsync("cache");

    [Fact] public Task DistributedAtomicLongCountsEveryIncrement() => RunAsync("atomicLong");

    [Fact] public Task TransactionsAreAllOrNothing() => RunAsync("transaction");

    private async Task RunAsync(string scenario)
    {
        var result = await ClientPrograms.RunCuratorScenarioAsync(server, scenario);
        ClientPrograms.AssertPassed(result, scenario, server, output);
    }
}

[Collection(SiloCollection.Name)]
public sealed class CuratorOnSilo(SiloServer server, ITestOutputHelper output) : CuratorTests(server, output);

[Collection(ApacheZooKeeperCollection.Name)]
public sealed class CuratorOnApacheZooKeeper(ApacheZooKeeperServer server, ITestOutputHelper output) : CuratorTests(server, output);

/// <summary>The same recipes against a 3-silo ensemble, the k-th client of a scenario on silo (k mod 3) + 1.</summary>
[Collection(SiloEnsembleCollection.Name)]
public sealed class CuratorOnSiloEnsemble(SiloEnsembleServer server, ITestOutputHelper output) : CuratorTests(server, output);
