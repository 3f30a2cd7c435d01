namespace Orleans.Coordination.Samples;

/// <summary>Every sample, in the order docs/client.md shows them.</summary>
public static class Samples
{
    public static IReadOnlyList<(string Name, Func<string, CancellationToken, Task> Run)> All { get; } =
    [
        ("connect", ClientSamples.ConnectAsync),
        ("options", ClientSamples.OptionsAsync),
        ("dependency injection", ClientSamples.DependencyInjectionAsync),
        ("nodes and errors", ClientSamples.NodesAndErrorsAsync),
        ("watches", ClientSamples.WatchesAsync),
        ("transactions and retries", ClientSamples.TransactionsAndRetriesAsync),
        ("mutex", RecipeSamples.MutexAsync),
        ("read-write lock", RecipeSamples.ReadWriteLockAsync),
        ("semaphore", RecipeSamples.SemaphoreAsync),
        ("leader latch", RecipeSamples.LeaderLatchAsync),
        ("leader selector", RecipeSamples.LeaderSelectorAsync),
        ("barrier", RecipeSamples.BarrierAsync),
        ("double barrier", RecipeSamples.DoubleBarrierAsync),
        ("queue", RecipeSamples.QueueAsync),
        ("shared count", RecipeSamples.SharedCountAsync),
        ("atomic long", RecipeSamples.AtomicLongAsync),
        ("node cache", RecipeSamples.NodeCacheAsync),
        ("tree cache", RecipeSamples.TreeCacheAsync),
        ("service discovery", RecipeSamples.ServiceDiscoveryAsync),
        ("configuration", RecipeSamples.ConfigurationAsync),
    ];
}
