using Orleans.Coordination.Compat.Tests.Infrastructure;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>Python kazoo (the Debian python3-kazoo) and its recipes, run from python/*.py.</summary>
public abstract class KazooTests(CoordinationServer server, ITestOutputHelper output)
{
    [Fact] public Task CrudStatErrorsAndAcls() => RunAsync("kazoo_basic");

    [Fact] public Task WatchesAndCaches() => RunAsync("kazoo_watches");

    [Fact] public Task Transactions() => RunAsync("kazoo_transactions");

    [Fact] public Task LockAndSemaphoreWithContendingClients() => RunAsync("kazoo_lock");

    [Fact] public Task Election() => RunAsync("kazoo_election");

    [Fact] public Task Counter() => RunAsync("kazoo_counter");

    [Fact] public Task QueueAndLockingQueue() => RunAsync("kazoo_queue");

    [Fact] public Task BarrierDoubleBarrierAndParty() => RunAsync("kazoo_barrier");

    [Fact] public Task FourLetterWordsDescribeLiveSessions() => RunAsync("kazoo_fourletter");

    private async Task RunAsync(string script)
    {
        var result = await ClientPrograms.RunKazooScriptAsync(server, script);
        ClientPrograms.AssertPassed(result, script, server, output);
    }
}

[Collection(SiloCollection.Name)]
public sealed class KazooOnSilo(SiloServer server, ITestOutputHelper output) : KazooTests(server, output);

[Collection(ApacheZooKeeperCollection.Name)]
public sealed class KazooOnApacheZooKeeper(ApacheZooKeeperServer server, ITestOutputHelper output) : KazooTests(server, output);

/// <summary>The same scripts against a 3-silo ensemble, the k-th client of a script on silo (k mod 3) + 1.</summary>
[Collection(SiloEnsembleCollection.Name)]
public sealed class KazooOnSiloEnsemble(SiloEnsembleServer server, ITestOutputHelper output) : KazooTests(server, output);
