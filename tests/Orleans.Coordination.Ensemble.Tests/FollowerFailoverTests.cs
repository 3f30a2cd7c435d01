using Orleans.Coordination.Client;
using Orleans.Coordination.Ensemble.Tests.Infrastructure;
using static Orleans.Coordination.Ensemble.Tests.Infrastructure.EnsembleChecks;

namespace Orleans.Coordination.Ensemble.Tests;

/// <summary>SIGKILL of a follower of a 3-silo ensemble while clients on every silo write.</summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class FollowerFailoverTests(ThreeSiloEnsemble ensemble, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public Task KilledFollower_OnlyItsClientsSeeAConnectionLoss_NoAcknowledgedWriteIsLost_AndItCatchesUp() => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        var follower = ensemble.Ids.First(i => i != leader);
        await using var load = await WriteLoad.StartAsync(ensemble, $"/follower-kill-{Guid.NewGuid():N}", writers: 6);
        Assert.True(await load.WaitAckedSinceAsync(TimeSpan.Zero, 100, Bound), $"no steady load before the kill: {load.Summary()}");
        var silos = load.CurrentSilos();
        Assert.Contains(follower, silos);

        var killedAt = load.Now;
        await ensemble.KillAsync(follower);
        output.WriteLine($"killed follower s{follower} (leader s{leader}) at {killedAt.TotalSeconds:F2}s; writers were on silos [{string.Join(",", silos)}]");
        Assert.True(
            await load.WaitEveryWriterAckedSinceAsync(killedAt, 20, Bound),
            $"writes did not continue on every writer within {Bound}: {load.Summary()}");
        await load.StopAsync();
        output.WriteLine($"{load.Summary()}; longest gap between acknowledgements: {Seconds(load.LongestGap())}");

        // The only error a client may see is the connection loss of the request it had on the killed silo.
        foreach (var failure in load.Failed)
        {
            Assert.True(
                failure.Silo == follower && failure.Error == nameof(ConnectionLossException),
                $"writer {failure.Writer} (on s{silos[failure.Writer]} at the kill) failed {failure.Path} with {failure.Error} on s{failure.Silo} at {failure.At.TotalSeconds:F2}s");
        }

        Assert.Equal(leader, await ensemble.LeaderAsync(Bound));
        await AssertAckedPresentAsync(ensemble, ensemble.Ids.Where(i => i != follower), load, output);

        await ensemble.StartOneAsync(follower);
        var (zxid, elapsed) = await ensemble.WaitSameZxidAsync([.. ensemble.Ids], Bound);
        output.WriteLine($"s{follower} restarted; every silo at zxid 0x{zxid:x} {elapsed.TotalMilliseconds:F0} ms after start-one returned");
        await AssertAckedPresentAsync(ensemble, [follower], load, output);
    });
}
