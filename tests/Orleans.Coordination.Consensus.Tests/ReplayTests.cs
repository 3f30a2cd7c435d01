using Orleans.Coordination.Consensus.Tests.Simulation;
using Xunit.Abstractions;

namespace Orleans.Coordination.Consensus.Tests;

/// <summary>
/// Replays one schedule with a full trace: <c>SIM_SEED=12345 dotnet test tests/Orleans.Coordination.Consensus.Tests
/// --filter FullyQualifiedName~Replay</c>. Without SIM_SEED it replays a fixed seed, so the trace machinery is tested too.
/// </summary>
public sealed class ReplayTests(ITestOutputHelper output)
{
    [Fact]
    public void Replay()
    {
        var text = Environment.GetEnvironmentVariable("SIM_SEED");
        var seed = string.IsNullOrWhiteSpace(text) ? 20_250_101 : long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var simulator = new Simulator(seed, trace: true);
        output.WriteLine($"seed {seed}: {simulator.Config}");
        try
        {
            var report = simulator.Run();
            output.WriteLine($"passed: {report.Events} events, {report.Committed} txns committed, {report.Acked} acknowledged, {report.Epochs} epochs, {report.Crashes} crashes, {report.Ticks} ticks");
            output.WriteLine("messages: " + string.Join(", ", report.Messages.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {m.Value}")));
        }
        finally
        {
            var lines = simulator.TraceLines;
            var limit = string.IsNullOrWhiteSpace(text) ? 200 : int.MaxValue;
            foreach (var line in lines.Take(limit))
            {
                output.WriteLine(line);
            }

            if (lines.Count > limit)
            {
                output.WriteLine($"... {lines.Count - limit} more lines (set SIM_SEED to print all)");
            }
        }
    }
}
