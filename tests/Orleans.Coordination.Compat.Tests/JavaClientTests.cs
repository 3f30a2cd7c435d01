using Orleans.Coordination.Compat.Tests.Infrastructure;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>
/// The official Java client (org.apache.zookeeper.ZooKeeper 3.8) drives the server through the scenarios in
/// java/CompatProbe.java. Each scenario asserts what the client observes and prints "OK name".
/// </summary>
public abstract class JavaClientTests(CoordinationServer server, ITestOutputHelper output)
{
    [Fact] public Task CreateModes() => RunAsync("createModes");

    [Fact] public Task SequentialNames() => RunAsync("sequentialNames");

    [Fact] public Task ErrorCodes() => RunAsync("errorCodes");

    [Fact] public Task Versions() => RunAsync("versions");

    [Fact] public Task StatFields() => RunAsync("statFields");

    /// <summary>
    /// On a standalone server /zookeeper/config is empty; on an ensemble (a connect string of several servers) it
    /// lists the members and ends with version=..., with the Stat Apache ZooKeeper in quorum mode gives it.
    /// </summary>
    [Fact] public Task ReservedNodes() => RunAsync("reservedNodes");

    [Fact] public Task DataWatches() => RunAsync("watchData");

    [Fact] public Task ExistsWatches() => RunAsync("watchExists");

    [Fact] public Task ChildWatches() => RunAsync("watchChildren");

    [Fact] public Task PersistentWatches() => RunAsync("watchPersistent");

    [Fact] public Task PersistentRecursiveWatches() => RunAsync("watchPersistentRecursive");

    [Fact] public Task WatchEventsPrecedeRepliesAndFollowUpdateOrder() => RunAsync("watchOrdering");

    [Fact] public Task RemoveAndCheckWatches() => RunAsync("watchRemoval");

    [Fact] public Task WatchesAreResentAfterReconnect() => RunAsync("watchReconnect");

    [Fact] public Task MultiIsAtomic() => RunAsync("multiAtomic");

    [Fact] public Task MultiRead() => RunAsync("multiRead");

    [Fact] public Task DigestAndIpAcls() => RunAsync("aclDigest");

    [Fact] public Task SuperDigest() => RunAsync("aclSuper");

    [Fact] public Task UnknownAuthSchemeFailsTheConnection() => RunAsync("authFailed");

    [Fact] public Task WhoAmI() => RunAsync("whoAmI");

    [Fact] public Task SecondHandleClosingTheSessionExpiresTheFirst() => RunAsync("sessionTakeoverExpiry");

    [Fact] public Task SessionReattachWithIdAndPassword() => RunAsync("sessionReattach");

    [Fact] public Task ReattachWithWrongPasswordIsExpired() => RunAsync("sessionBadPassword");

    [Fact] public Task SessionTimeoutNegotiation() => RunAsync("sessionTimeoutNegotiation");

    [Fact] public Task SilentSessionExpires() => RunAsync("sessionExpiresWhenSilent");

    [Fact] public Task IdleSessionSurvivesOnPings() => RunAsync("sessionSurvivesIdle");

    [Fact] public Task CloseRemovesEphemerals() => RunAsync("closeRemovesEphemerals");

    [Fact] public Task Sync() => RunAsync("syncCall");

    [Fact] public Task GetEphemerals() => RunAsync("ephemeralsList");

    [Fact] public Task GetAllChildrenNumber() => RunAsync("allChildrenNumber");

    [Fact] public Task LargeValuesAndTheFrameLimit() => RunAsync("largeValues");

    [Fact] public Task ContainerAndTtlNodesAreReaped() => RunAsync("containerAndTtlReaping");

    [Fact] public Task Chroot() => RunAsync("chroot");

    private async Task RunAsync(string scenario)
    {
        var result = await ClientPrograms.RunJavaScenarioAsync(server, scenario);
        ClientPrograms.AssertPassed(result, scenario, server, output);
    }
}

[Collection(SiloCollection.Name)]
public sealed class JavaClientOnSilo(SiloServer server, ITestOutputHelper output) : JavaClientTests(server, output);

[Collection(ApacheZooKeeperCollection.Name)]
public sealed class JavaClientOnApacheZooKeeper(ApacheZooKeeperServer server, ITestOutputHelper output) : JavaClientTests(server, output);

/// <summary>The same scenarios against a 3-silo ensemble, the k-th client of a scenario on silo (k mod 3) + 1.</summary>
[Collection(SiloEnsembleCollection.Name)]
public sealed class JavaClientOnSiloEnsemble(SiloEnsembleServer server, ITestOutputHelper output) : JavaClientTests(server, output);
