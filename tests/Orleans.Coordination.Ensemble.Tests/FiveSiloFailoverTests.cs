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
        var silos = load.CurrentSilos();
        Assert.Equal(ensemble.Size, silos.Where(s => s != 0).Distinct().Count());

        var killedAt = load.Now;
        await ensemble.KillAsync(leader);
        await ensemble.KillAsync(follower);
        output.WriteLine($"killed leader s{leader} and follower s{follower} at {killedAt.TotalSeconds:F2}s; writers were on silos [{string.Join(",", silos)}]");
        Assert.True(
            await load.WaitEveryWriterAckedSinceAsync(killedAt, 20, Bound),
            $"writes did not resume on every writer within {Bound}: {load.Summary()}");
        var resumedAt = load.Now;
        await load.StopAsync();
        var newLeader = await ensemble.LeaderAsync(Bound);
        Assert.DoesNotContain(newLeader, killed);
        output.WriteLine($"new leader s{newLeader}; {load.Summary()}");
        output.WriteLine(
            $"unavailability gap (longest time without an acknowledgement from the kill until every writer resumed, {(resumedAt - killedAt).TotalMilliseconds:F0} ms later): " +
            $"{Seconds(load.LongestGapBetween(killedAt, resumedAt))}; longest gap of the whole run: {Seconds(load.LongestGap())}");
        await AssertAckedPresentAsync(ensemble, ensemble.Ids.Except(killed), load, output);

        foreach (var i in killed)
        {
            await ensemble.StartOneAsync(i);
        }

        var (zxid, elapsed) = await ensemble.WaitSameZxidAsync([.. ensemble.Ids], Bound);
        output.WriteLine($"s{leader} and s{follower} restarted; every silo at zxid 0x{zxid:x} {elapsed.TotalMilliseconds:F0} ms after the last start-one");
        await AssertAckedPresentAsync(ensemble, killed, load, output);
        var trees = await Task.WhenAll(ensemble.Ids.Select(i => ReadTreeAsync(ensemble, i, load.Root)));
        foreach (var tree in trees.Skip(1))
        {
            Assert.Equal(trees[0], tree);
        }
    });
}
