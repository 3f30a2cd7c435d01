using Orleans.Coordination.Ensemble.Tests.Infrastructure;
using static Orleans.Coordination.Ensemble.Tests.Infrastructure.EnsembleChecks;

namespace Orleans.Coordination.Ensemble.Tests;

/// <summary>A 5-silo ensemble survives losing 2 silos, the leader among them.</summary>
[Collection(FiveSiloCollection.Name)]
public sealed class FiveSiloFailoverTests(FiveSiloEnsemble ensemble, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public Task KilledLeaderAndFollower_WritesContinue_NoAcknowledgedWriteIsLost_AndBothCatchUp() => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        var follower = ensemble.Ids.First(i => i != leader);
        var killed = new[] { leader, follower };
        await using var load = await WriteLoad.StartAsync(ensemble, $"/five-kill-{Guid.NewGuid():N}", writers: 10);
        Assert.True(await load.WaitAckedSinceAsync(TimeSpan.Zero, 100, Bound), $"no steady load before the kill: {load.Summary()}");
        await KillLeaderUnderLoadAsync(ensemble, load, killed, Bound, output);

        foreach (var i in killed)
        {
            await ensemble.StartOneAsync(i);
        }

        var (zxid, elapsed) = await ensemble.WaitSameZxidAsync([.. ensemble.Ids], Bound);
        output.WriteLine($"s{leader} and s{follower} restarted; every silo at zxid 0x{zxid:x} {elapsed.TotalMilliseconds:F0} ms after the last start-one");
        await AssertAckedPresentAsync(ensemble, killed, load, output);

        // Far more writes than the silos keep in memory happened while the two were down: both caught up from the
        // leader's snapshot (SNAP), not a DIFF.
        Assert.True(load.Acked.Count > 4 * FiveSiloEnsemble.CommitLogCount, $"too few writes to need a snapshot: {load.Summary()}");
        foreach (var i in killed)
        {
            var log = await File.ReadAllTextAsync(Path.Combine(ensemble.Directory, $"s{i}", "silo.log"));
            Assert.Contains("Installed the leader's snapshot", log, StringComparison.Ordinal);
        }

        var trees = await Task.WhenAll(ensemble.Ids.Select(i => ReadTreeAsync(ensemble, i, load.Root)));
        foreach (var tree in trees.Skip(1))
        {
            Assert.Equal(trees[0], tree);
        }
    });
}
