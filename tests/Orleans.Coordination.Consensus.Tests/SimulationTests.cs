using System.Diagnostics;
using Orleans.Coordination.Consensus.Tests.Simulation;
using Xunit.Abstractions;

namespace Orleans.Coordination.Consensus.Tests;

/// <summary>
/// Runs slices of seeded schedules. Even seeds simulate 3 voters, odd seeds 5; a quarter of them add an observer
/// (see <see cref="SimConfig.FromSeed"/>). Each failure names its seed and the command that replays it.
/// </summary>
internal static class SimulationBatch
{
    public const int SchedulesPerSlice = 1100;

    public static void Run(ITestOutputHelper output, int replicas, int slice)
    {
        var sw = Stopwatch.StartNew();
        var failures = new List<string>();
        long events = 0, committed = 0, acked = 0, crashes = 0;
        var first = (long)slice * SchedulesPerSlice;
        for (var i = first; i < first + SchedulesPerSlice; i++)
        {
            var seed = (2 * i) + (replicas == 3 ? 0 : 1);
            try
            {
                var report = new Simulator(seed).Run();
                events += report.Events;
                committed += report.Committed;
                acked += report.Acked;
                crashes += report.Crashes;
            }
            catch (SimulationFailure e)
            {
                failures.Add(e.Message);
                if (failures.Count >= 3)
                {
                    break;
                }
            }
        }

        output.WriteLine($"{replicas} voters, slice {slice}: {SchedulesPerSlice} schedules in {sw.ElapsedMilliseconds} ms, {events} events, {committed} txns committed, {acked} acknowledged, {crashes} crashes");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}

public sealed class ThreeReplicaSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Slice0() => SimulationBatch.Run(output, 3, 0);

    [Fact]
    public void Slice1() => SimulationBatch.Run(output, 3, 1);

    [Fact]
    public void Slice2() => SimulationBatch.Run(output, 3, 2);

    [Fact]
    public void Slice3() => SimulationBatch.Run(output, 3, 3);

    [Fact]
    public void Slice4() => SimulationBatch.Run(output, 3, 4);
}

public sealed class FiveReplicaSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Slice0() => SimulationBatch.Run(output, 5, 0);

    [Fact]
    public void Slice1() => SimulationBatch.Run(output, 5, 1);

    [Fact]
    public void Slice2() => SimulationBatch.Run(output, 5, 2);

    [Fact]
    public void Slice3() => SimulationBatch.Run(output, 5, 3);

    [Fact]
    public void Slice4() => SimulationBatch.Run(output, 5, 4);
}
