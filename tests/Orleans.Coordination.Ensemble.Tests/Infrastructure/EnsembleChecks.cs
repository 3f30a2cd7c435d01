using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>What a client pinned to one silo reads back after <c>sync</c>, compared with what was acknowledged.</summary>
internal static class EnsembleChecks
{
    /// <summary>
    /// SIGKILL of <paramref name="killed"/> (the leader among them) while <paramref name="load"/> writes: waits until every
    /// writer has acknowledgements again, checks the new leader is a survivor, prints the unavailability gap, and checks
    /// every acknowledged write on every survivor. The load is stopped on return.
    /// </summary>
    public static async Task KillLeaderUnderLoadAsync(SiloEnsemble ensemble, WriteLoad load, IReadOnlyList<int> killed, TimeSpan bound, ITestOutputHelper output)
    {
        var silos = load.CurrentSilos();
        Assert.Equal(ensemble.Size, silos.Where(s => s != 0).Distinct().Count());

        var killedAt = load.Now;
        foreach (var i in killed)
        {
            await ensemble.KillAsync(i);
        }

        output.WriteLine($"killed s{string.Join(", s", killed)} at {killedAt.TotalSeconds:F2}s; writers were on silos [{string.Join(",", silos)}]");
        Assert.True(
            await load.WaitEveryWriterAckedSinceAsync(killedAt, 20, bound),
            $"writes did not resume on every writer within {bound}: {load.Summary()}");
        var resumedAt = load.Now;
        await load.StopAsync();
        var newLeader = await ensemble.LeaderAsync(bound);
        Assert.DoesNotContain(newLeader, killed);
        output.WriteLine($"new leader s{newLeader}; {load.Summary()}");
        output.WriteLine(
            $"unavailability gap (longest time without an acknowledgement from the kill until every writer resumed, {(resumedAt - killedAt).TotalMilliseconds:F0} ms later): " +
            $"{Seconds(load.LongestGapBetween(killedAt, resumedAt))}; longest gap of the whole run: {Seconds(load.LongestGap())}");
        await AssertAckedPresentAsync(ensemble, ensemble.Ids.Except(killed), load, output);
    }

    /// <summary>
    /// Every acknowledged create is present with its data on each of <paramref name="silos"/>, and each writer's register
    /// holds at least its last acknowledged value (a later unacknowledged set may have committed too). Reads go to a client
    /// pinned to the silo, after <c>sync</c>, as a user would read another client's writes.
    /// </summary>
    public static async Task AssertAckedPresentAsync(SiloEnsemble ensemble, IEnumerable<int> silos, WriteLoad load, ITestOutputHelper output)
    {
        var acked = load.Acked;
        var creates = acked.Where(a => !a.IsSet).ToList();
        var lastSets = acked.Where(a => a.IsSet).GroupBy(a => a.Writer).ToDictionary(g => g.Key, g => g.Max(a => a.Seq));
        foreach (var silo in silos)
        {
            var watch = Stopwatch.StartNew();
            await using var client = await ensemble.ConnectPinnedAsync(silo);
            await client.SyncAsync(load.Root);
            var children = (await client.GetChildrenAsync(load.Root)).ToHashSet(StringComparer.Ordinal);
            var missing = creates.Where(a => !children.Contains(a.Path[(load.Root.Length + 1)..])).ToList();
            Assert.True(
                missing.Count == 0,
                $"silo {silo} lacks {missing.Count} of {creates.Count} acknowledged creates, e.g. {string.Join(", ", missing.Take(5).Select(m => $"{m.Path} (acked at {m.At.TotalSeconds:F2}s)"))}\n{ensemble.LogTails()}");

            var reads = await Task.WhenAll(creates.Select(async a => (a, (await client.GetDataAsync(a.Path)).Data)));
            var wrong = reads.Where(r => Encoding.UTF8.GetString(r.Data) != r.a.Data).ToList();
            Assert.True(wrong.Count == 0, $"silo {silo} has other data in {wrong.Count} acknowledged creates, e.g. {wrong.Select(w => w.a.Path).FirstOrDefault()}");

            foreach (var (writer, seq) in lastSets)
            {
                var data = await client.GetDataAsync(WriteLoad.RegisterPath(load.Root, writer));
                var value = long.Parse(Encoding.UTF8.GetString(data.Data), CultureInfo.InvariantCulture);
                Assert.True(value >= seq, $"silo {silo}: register r{writer} holds {value}, but set {seq} was acknowledged");
            }

            output.WriteLine($"silo {silo}: all {creates.Count} acknowledged creates and {lastSets.Count} registers present ({watch.ElapsedMilliseconds} ms to check)");
        }
    }

    /// <summary>Every child of <paramref name="root"/> with its data and version, as silo <paramref name="silo"/> serves it after sync.</summary>
    public static async Task<SortedDictionary<string, string>> ReadTreeAsync(SiloEnsemble ensemble, int silo, string root)
    {
        await using var client = await ensemble.ConnectPinnedAsync(silo);
        await client.SyncAsync(root);
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var child in await client.GetChildrenAsync(root))
        {
            var data = await client.GetDataAsync($"{root}/{child}");
            tree[child] = $"{Encoding.UTF8.GetString(data.Data)} v{data.Stat.Version} m0x{data.Stat.Mzxid:x}";
        }

        return tree;
    }

    /// <summary>Runs a test body; on failure writes the silos' log tails to the test output before rethrowing.</summary>
    public static async Task WithLogsOnFailureAsync(SiloEnsemble ensemble, ITestOutputHelper output, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine(ensemble.LogTails(60));
            throw;
        }
    }

    public static string Seconds(TimeSpan t) => t == TimeSpan.MaxValue ? "never" : $"{t.TotalMilliseconds:F0} ms";
}
