using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Orleans.Coordination.Benchmarks.Micro;

/// <summary>
/// Entry point of the BenchmarkDotNet micro-benchmarks (codec, tree apply loop, snapshot image,
/// log append with group commit):
/// <c>dotnet run -c Release --project tests/Orleans.Coordination.Benchmarks -- micro --filter '*'</c>.
/// Every other argument is BenchmarkDotNet's (--filter, --list flat, --job, --exporters ...).
/// </summary>
public static class MicroBenchmarks
{
    /// <summary>The benchmark classes, in the order they run.</summary>
    public static readonly Type[] Types =
    [
        typeof(CodecBenchmarks),
        typeof(TreeApplyBenchmarks),
        typeof(TreeSnapshotBenchmarks),
        typeof(LogAppendBenchmarks),
    ];

    public static int Run(string[] args)
    {
        LogAppendStats.Reset();

        // A short job so that the whole suite takes a few minutes; the GC matches the silo's
        // (workstation, concurrent). Add --job to the command line for longer runs.
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.Default
                .WithWarmupCount(1)
                .WithIterationCount(3)
                .WithGcServer(false)
                .WithGcConcurrent(true)
                .WithId("Short1x3"))
            // Keep results out of the working tree; --artifacts on the command line overrides this.
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "BenchmarkDotNet.Artifacts"));
        var summaries = BenchmarkSwitcher.FromTypes(Types).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
