using System.Diagnostics;
using System.Text;
using Orleans.Coordination.Client;
using Orleans.Coordination.Ensemble.Tests.Infrastructure;
using static Orleans.Coordination.Ensemble.Tests.Infrastructure.EnsembleChecks;

namespace Orleans.Coordination.Ensemble.Tests;

/// <summary>SIGKILL of 2 of 3 silos: the survivor must acknowledge nothing until a quorum is back.</summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class QuorumLossTests(ThreeSiloEnsemble ensemble, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(6);

    /// <param name="survivor">Which silo is left alone: the leader (it must not commit on its own) or a follower.</param>
    [Theory]
    [InlineData("leader")]
    [InlineData("follower")]
    public Task KilledMajority_NoWriteIsAcknowledged_ThenAfterRestartAllSilosAgree(string survivor) => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        var alone = survivor == "leader" ? leader : ensemble.Ids.First(i => i != leader);
        var killed = ensemble.Ids.Where(i => i != alone).ToList();
        var root = $"/quorum-loss-{survivor}-{Guid.NewGuid():N}";

        await using var load = await WriteLoad.StartAsync(ensemble, root, writers: 3);
        Assert.True(await load.WaitAckedSinceAsync(TimeSpan.Zero, 60, Bound), $"no steady load before the outage: {load.Summary()}");
        await load.StopAsync();
        output.WriteLine($"before the outage: {load.Summary()}");

        // A session on the survivor opened while the quorum was there; a long timeout so it outlives the outage.
        await using var client = await ensemble.ConnectPinnedAsync(alone, TimeSpan.FromSeconds(30));
        foreach (var i in killed)
        {
            await ensemble.KillAsync(i);
        }

        output.WriteLine($"killed s{killed[0]} and s{killed[1]} (leader was s{leader}); s{alone} is alone");
        var attempts = new List<(string Path, string Outcome)>();
        var watch = Stopwatch.StartNew();
        for (var n = 0; watch.Elapsed < Outage; n++)
        {
            var path = $"{root}/outage-{n:D3}";
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                if (n % 2 == 0)
                {
                    await client.CreateAsync(path, Encoding.UTF8.GetBytes("outage"), cancellationToken: attempt.Token);
                }
                else
                {
                    path = WriteLoad.RegisterPath(root, 0);
                    await client.SetDataAsync(path, Encoding.UTF8.GetBytes("outage"), cancellationToken: attempt.Token);
                }

                attempts.Add((path, "OK"));
            }
            catch (Exception e) when (e is KeeperException or OperationCanceledException)
            {
                attempts.Add((path, e is OperationCanceledException ? "timeout" : e.GetType().Name));
                await Task.Delay(100);
            }
        }

        output.WriteLine($"{attempts.Count} writes attempted on s{alone} during the outage: {string.Join(", ", attempts.GroupBy(a => a.Outcome).Select(g => $"{g.Key} x{g.Count()}"))}; srvr says {await ensemble.SrvrAsync(alone)}");
        Assert.DoesNotContain(attempts, a => a.Outcome == "OK");

        foreach (var i in killed)
        {
            await ensemble.StartOneAsync(i);
        }

        var (zxid, elapsed) = await ensemble.WaitSameZxidAsync([.. ensemble.Ids], Bound);
        output.WriteLine($"restarted; every silo at zxid 0x{zxid:x} {elapsed.TotalMilliseconds:F0} ms after the last start-one; leader s{await ensemble.LeaderAsync(Bound)}");

        var trees = await Task.WhenAll(ensemble.Ids.Select(i => ReadTreeAsync(ensemble, i, root)));
        foreach (var tree in trees.Skip(1))
        {
            Assert.Equal(trees[0], tree);
        }

        var committedLater = attempts.Count(a => a.Path.Contains("/outage-", StringComparison.Ordinal) && trees[0].ContainsKey(a.Path[(root.Length + 1)..]));
        output.WriteLine($"all silos serve the same {trees[0].Count} nodes under the test root; {committedLater} unacknowledged outage creates committed after the heal (allowed)");
        await AssertAckedPresentAsync(ensemble, ensemble.Ids, load, output);
    });
}
