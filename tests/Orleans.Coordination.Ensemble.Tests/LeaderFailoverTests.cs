using Orleans.Coordination.Ensemble.Tests.Infrastructure;
using static Orleans.Coordination.Ensemble.Tests.Infrastructure.EnsembleChecks;

namespace Orleans.Coordination.Ensemble.Tests;

/// <summary>SIGKILL of the leader of a 3-silo ensemble while clients on every silo write.</summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class LeaderFailoverTests(ThreeSiloEnsemble ensemble, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public Task KilledLeader_WritesResumeOnANewLeader_AndEveryAcknowledgedWriteIsOnEverySurvivor() => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        await using var load = await WriteLoad.StartAsync(ensemble, $"/leader-kill-{Guid.NewGuid():N}", writers: 6);
        Assert.True(await load.WaitAckedSinceAsync(TimeSpan.Zero, 100, Bound), $"no steady load before the kill: {load.Summary()}");
        await KillLeaderUnderLoadAsync(ensemble, load, [leader], Bound, output);

        await ensemble.StartOneAsync(leader);
    });

    [Fact]
    public Task KilledLeader_Restarted_CatchesUpAndServesTheWritesMadeWhileItWasDown() => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        await using var load = await WriteLoad.StartAsync(ensemble, $"/leader-restart-{Guid.NewGuid():N}", writers: 6);
        Assert.True(await load.WaitAckedSinceAsync(TimeSpan.Zero, 60, Bound), $"no steady load before the kill: {load.Summary()}");

        // Killed with proposals in flight: on restart it must drop whatever the new leader did not commit.
        var killedAt = load.Now;
        await ensemble.KillAsync(leader);
        Assert.True(
            await load.WaitEveryWriterAckedSinceAsync(killedAt, 20, Bound),
            $"writes did not resume within {Bound}: {load.Summary()}");
        await load.StopAsync();
        output.WriteLine($"killed leader s{leader}; {load.AckedSince(killedAt)} writes acknowledged while it was down; {load.Summary()}");

        await ensemble.StartOneAsync(leader);
        var (zxid, elapsed) = await ensemble.WaitSameZxidAsync([.. ensemble.Ids], Bound);
        output.WriteLine($"s{leader} restarted; every silo at zxid 0x{zxid:x} {elapsed.TotalMilliseconds:F0} ms after start-one returned");

        await AssertAckedPresentAsync(ensemble, [leader], load, output);
        var trees = await Task.WhenAll(ensemble.Ids.Select(i => ReadTreeAsync(ensemble, i, load.Root)));
        foreach (var (tree, i) in trees.Select((t, k) => (t, k + 1)))
        {
            Assert.Equal(trees[0], tree);
            output.WriteLine($"s{i}: {tree.Count} nodes under the test root, same as s1");
        }
    });
}
