using System.Diagnostics;
using Orleans.Coordination.Consensus.Tests.Simulation;
using Xunit.Abstractions;

namespace Orleans.Coordination.Consensus.Tests;

/// <summary>
/// Runs slices of seeded schedules. Even seeds simulate 3 voters, odd seeds 5; a quarter of them add an observer
/// (see <see cref="SimConfig.FromSeed"/>). Each failure names its seed and the command that replays it.
/// For a longer soak on other seeds: <c>SIM_SCHEDULES_PER_SLICE=20000 SIM_SLICE_OFFSET=7 dotnet test ... --filter
/// FullyQualifiedName~ReplicaSimulation</c>.
/// </summary>
internal static class SimulationBatch
{
    public static void Run(ITestOutputHelper output, int replicas, int slice)
    {
        var schedulesPerSlice = EnvInt("SIM_SCHEDULES_PER_SLICE", 1100);
        slice += EnvInt("SIM_SLICE_OFFSET", 0) * 5;
        var sw = Stopwatch.StartNew();
        var failures = new List<string>();
        long events = 0, committed = 0, acked = 0, crashes = 0;
        var messages = new Dictionary<string, long>();
        var first = (long)slice * schedulesPerSlice;
        for (var i = first; i < first + schedulesPerSlice; i++)
        {
            var seed = (2 * i) + (replicas == 3 ? 0 : 1);
            try
            {
                var report = new Simulator(seed).Run();
                events += report.Events;
                committed += report.Committed;
                acked += report.Acked;
                crashes += report.Crashes;
                foreach (var (kind, count) in report.Messages)
                {
                    messages[kind] = messages.GetValueOrDefault(kind) + count;
                }
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

        output.WriteLine($"{replicas} voters, slice {slice}: {schedulesPerSlice} schedules in {sw.ElapsedMilliseconds} ms, {events} events, {committed} txns committed, {acked} acknowledged, {crashes} crashes");
        output.WriteLine("messages: " + string.Join(", ", messages.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {m.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;
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
