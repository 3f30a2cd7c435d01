using System.Diagnostics;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Benchmarks;

/// <summary>
/// M watchers on one node: time from a setData until every watcher has its notification. The first
/// <c>--warmup</c> rounds (one per second of warm-up) are not measured, as the other workloads' warm-up is not.
/// </summary>
internal static class WatchFanOut
{
    public static async Task<BenchResult> RunAsync(BenchOptions o)
    {
        var path = "/bench-watch-" + Guid.NewGuid().ToString("N")[..8];
        await using var writer = await LoadConnection.ConnectAsync(o.Servers, 0);
        await writer.RunOnceAsync(w =>
        {
            w.WriteString(path);
            w.WriteBuffer([]);
            Acl.WriteList(w, Acl.OpenAclUnsafe);
            w.WriteInt(0);
        });
        var watchers = new List<LoadConnection>();
        for (var i = 0; i < o.Watchers; i++)
        {
            // Watcher k on server k mod n, like the load connections.
            watchers.Add(await LoadConnection.ConnectAsync(o.Servers, i));
        }

        var warmupRounds = Math.Max(0, (int)o.WarmupSeconds);
        var rounds = Math.Max(1, (int)o.DurationSeconds);
        var samples = new List<double>();
        for (var round = 0; round < warmupRounds + rounds; round++)
        {
            foreach (var c in watchers)
            {
                using var w = new JuteWriter();
                var f = w.BeginFrame();
                new RequestHeader(c.NextXid(), OpCode.GetData).Write(w);
                new PathWatchRequest(path, true).Write(w);
                w.EndFrame(f);
                await c.SendAsync(w.WrittenMemory);
            }

            // Time for every getData (and so its watch) to reach the servers before the change.
            await Task.Delay(200);
            var waits = watchers.Select(c => c.WaitForNotificationAsync()).ToList();
            var sw = Stopwatch.StartNew();
            using (var w = new JuteWriter())
            {
                var f = w.BeginFrame();
                new RequestHeader(writer.NextXid(), OpCode.SetData).Write(w);
                new SetDataRequest(path, [(byte)round], -1).Write(w);
                w.EndFrame(f);
                await writer.SendAsync(w.WrittenMemory);
            }

            await Task.WhenAll(waits);
            if (round >= warmupRounds)
            {
                samples.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        foreach (var c in watchers)
        {
            await c.DisposeAsync();
        }

        samples.Sort();
        return new BenchResult("watch", o.Watchers, 1, 1, 0, samples.Sum() / 1000, samples.Count, 0, 0,
            samples[samples.Count / 2], samples[^1], samples[^1], samples[^1], string.Join(',', o.Servers.Select(s => $"{s.Host}:{s.Port}")));
    }
}
