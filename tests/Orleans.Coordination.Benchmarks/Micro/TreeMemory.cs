using System.Globalization;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Benchmarks.Micro;

/// <summary>
/// Live heap of a tree of N znodes, measured in this process (<c>GC.GetTotalMemory(true)</c> before and after): once
/// built by applying creates, once loaded from its own snapshot (as a silo restarts). The shape is the load generator's
/// create workload and infra/bench-recovery.sh: /bench/d{connection}/c{n}, 16 parents, P random bytes each.
/// </summary>
/// <example>dotnet run -c Release --project tests/Orleans.Coordination.Benchmarks -- tree-memory --nodes 1000000 --payload 100</example>
internal static class TreeMemory
{
    public static int Run(string[] args)
    {
        try
        {
            var (nodes, payload, parents) = Parse(args);
            return Measure(nodes, payload, parents);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"tree-memory: {e.Message}");
            return 2;
        }
    }

    private static (int Nodes, int Payload, int Parents) Parse(string[] args)
    {
        var nodes = 1_000_000;
        var payload = 100;
        var parents = 16;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i++])
            {
                case "--nodes": nodes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--payload": payload = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--parents": parents = int.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option '{args[i - 1]}' (tree-memory takes --nodes, --payload, --parents)");
            }
        }

        if (nodes < 1 || payload < 0 || parents < 1)
        {
            throw new ArgumentException("--nodes and --parents must be at least 1, --payload at least 0");
        }

        return (nodes, payload, parents);
    }

    private static int Measure(int nodes, int payload, int parents)
    {

        var before = LiveBytes();
        var timer = System.Diagnostics.Stopwatch.StartNew();
        var tree = Build(nodes, payload, parents);
        var took = timer.Elapsed;
        var built = LiveBytes() - before;
        Console.WriteLine(Line("built by applying creates", built, tree.NodeCount, took));

        using var snapshot = new MemoryStream();
        tree.CaptureImage().WriteTo(snapshot);
        var digest = tree.Digest;
        tree = null;
        snapshot.Position = 0;
        before = LiveBytes();
        var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        timer.Restart();
        var loaded = Tree.Load(snapshot, "snapshot in memory");
        took = timer.Elapsed;
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"load: gen0/1/2 collections {GC.CollectionCount(0) - gcs.Item1}/{GC.CollectionCount(1) - gcs.Item2}/{GC.CollectionCount(2) - gcs.Item3}, paused {(GC.GetTotalPauseDuration() - gcs.Item4).TotalMilliseconds:F0} ms"));
        var after = LiveBytes() - before;
        Console.WriteLine(Line($"loaded from its snapshot ({snapshot.Length / 1048576.0:F1} MiB)", after, loaded.NodeCount, took));
        GC.KeepAlive(loaded);
        return loaded.Digest == digest ? 0 : 1;
    }

    private static Tree Build(int nodes, int payload, int parents)
    {
        var tree = new Tree();
        var random = new Random(7);
        var counter = 1;
        tree.Apply(TreeTxns.Create(counter++, "/bench", [], 1));
        for (var p = 0; p < parents; p++)
        {
            tree.Apply(TreeTxns.Create(counter++, $"/bench/d{p}", [], p + 1));
        }

        for (var n = 0; n < nodes; n++)
        {
            var data = new byte[payload];
            random.NextBytes(data);
            tree.Apply(TreeTxns.Create(counter++, $"/bench/d{n % parents}/c{n / parents}", data, (n / parents) + 1));
        }

        return tree;
    }

    private static long LiveBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Line(string what, long bytes, int count, TimeSpan took) => string.Create(
        CultureInfo.InvariantCulture,
        $"{what}: {count:N0} znodes in {took.TotalSeconds:F2} s, live heap {bytes / 1048576.0:F1} MiB ({bytes / 1e6:F1} MB), {(double)bytes / count:F0} bytes per znode");
}
