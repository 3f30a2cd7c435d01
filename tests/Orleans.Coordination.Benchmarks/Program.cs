using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orleans.Coordination.Benchmarks;

// A load generator for any ZooKeeper-protocol server list. Example:
//   dotnet run -c Release --project tests/Orleans.Coordination.Benchmarks -- \
//     --servers 127.0.0.1:2181,127.0.0.1:2182 --op set --connections 16 --inflight 64 --payload 1024 --duration 10 --warmup 3
if (args.Length > 0 && args[0] == "micro")
{
    // BenchmarkDotNet micro-benchmarks (Micro/); everything else is the load generator.
    return Orleans.Coordination.Benchmarks.Micro.MicroBenchmarks.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "tree-memory")
{
    // Live heap per znode of an in-process tree (Micro/TreeMemory.cs).
    return Orleans.Coordination.Benchmarks.Micro.TreeMemory.Run(args[1..]);
}

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine(BenchOptions.Help);
    return args.Length == 0 ? 2 : 0;
}

var options = BenchOptions.Parse(args);
var result = options.Op == "watch" ? await WatchFanOut.RunAsync(options) : await RunLoadAsync(options);
Console.WriteLine(result.ToText());
if (options.JsonPath is not null)
{
    await File.WriteAllTextAsync(options.JsonPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
}

return result.Errors > 0 && options.FailOnErrors ? 1 : 0;

static async Task<BenchResult> RunLoadAsync(BenchOptions o)
{
    var payload = new byte[o.Payload];
    Random.Shared.NextBytes(payload);
    var prefix = "/bench-" + Guid.NewGuid().ToString("N")[..8];
    await using (var setup = await LoadConnection.ConnectAsync(o.Servers, 0))
    {
        await setup.RunOnceAsync(w => WriteCreate(w, prefix, []));
        var keys = new Workload("set", prefix, o.Keys, payload, 0);
        for (var i = 0; i < o.Keys; i++)
        {
            await setup.RunOnceAsync(w => WriteCreate(w, keys.Key(i), payload));
        }
    }

    // Connection k starts on server k mod n; after a lost session it moves on to the next server.
    var connections = new List<LoadConnection>();
    for (var i = 0; i < o.Connections; i++)
    {
        connections.Add(await LoadConnection.ConnectAsync(o.Servers, i));
    }

    if (o.Op is "create" or "delete")
    {
        // Connection i creates (or deletes) the children of {prefix}/d{i}.
        for (var i = 0; i < connections.Count; i++)
        {
            await connections[0].RunOnceAsync(w => WriteCreate(w, $"{prefix}/d{i}", []));
        }
    }

    if (o.Op == "delete")
    {
        // Deletes need nodes: each connection first creates the ones it will delete.
        var failed = await Task.WhenAll(connections.Select((c, i) => c.RunCountAsync(o.InFlight, new Workload("create", $"{prefix}/d{i}", 1, payload, 0), o.DeleteCount)));
        if (failed.Sum() > 0)
        {
            throw new InvalidOperationException($"{failed.Sum()} of the creates that prepare the deletes failed");
        }
    }

    if (o.Count > 0)
    {
        // --count N: exactly N requests spread over the connections (e.g. to load N znodes), timed as a whole.
        var perConnection = (o.Count + connections.Count - 1) / connections.Count;
        var timer = Stopwatch.StartNew();
        var errorCounts = await Task.WhenAll(connections.Select((c, i) =>
            c.RunCountAsync(o.InFlight, new Workload(o.Op, o.Op is "create" or "delete" ? $"{prefix}/d{i}" : prefix, o.Keys, payload, o.ReadPercent), perConnection)));
        var took = timer.Elapsed;
        var countReconnects = connections.Sum(c => c.Reconnects);
        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }

        long total = (long)perConnection * connections.Count;
        return new BenchResult(o.Op, o.Connections, o.InFlight, o.Payload, o.ReadPercent, took.TotalSeconds, total, total / took.TotalSeconds, errorCounts.Sum(), 0, 0, 0, 0, string.Join(',', o.Servers.Select(s => $"{s.Host}:{s.Port}")))
        {
            Reconnects = countReconnects,
        };
    }

    var recorders = connections.Select(_ => new LatencyRecorder()).ToList();
    using var stop = new CancellationTokenSource();
    var runs = connections.Select((c, i) =>
        c.RunAsync(o.InFlight, new Workload(o.Op, o.Op is "create" or "delete" ? $"{prefix}/d{i}" : prefix, o.Keys, payload, o.ReadPercent), recorders[i], stop.Token)).ToList();
    await Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds));
    var pausedBefore = GC.GetTotalPauseDuration();
    var windowStart = Stopwatch.GetTimestamp();
    foreach (var r in recorders)
    {
        r.Start(windowStart);
    }

    await Task.Delay(TimeSpan.FromSeconds(o.DurationSeconds));
    var windowEnd = Stopwatch.GetTimestamp();
    foreach (var r in recorders)
    {
        r.Stop(windowEnd);
    }

    var elapsed = Stopwatch.GetElapsedTime(windowStart, windowEnd);
    var generatorPaused = GC.GetTotalPauseDuration() - pausedBefore;
    stop.Cancel();
    await Task.WhenAll(runs);
    var reconnects = connections.Sum(c => c.Reconnects);
    foreach (var c in connections)
    {
        await c.DisposeAsync();
    }

    var (count, errors, lost, late, p50, p99, p999, max) = LatencyRecorder.Merge(recorders);
    return new BenchResult(o.Op, o.Connections, o.InFlight, o.Payload, o.ReadPercent, elapsed.TotalSeconds, count, count / elapsed.TotalSeconds, errors, p50, p99, p999, max, string.Join(',', o.Servers.Select(s => $"{s.Host}:{s.Port}")))
    {
        Lost = lost,
        Late = late,
        GeneratorGcPauseMs = generatorPaused.TotalMilliseconds,
        Reconnects = reconnects,
    };
}

static void WriteCreate(Orleans.Coordination.Protocol.Jute.JuteWriter w, string path, byte[] data)
{
    w.WriteString(path);
    w.WriteBuffer(data);
    Orleans.Coordination.Protocol.Records.Acl.WriteList(w, Orleans.Coordination.Protocol.Records.Acl.OpenAclUnsafe);
    w.WriteInt(0);
}

/// <summary>Command-line options of the load generator.</summary>
internal sealed record BenchOptions(
    IReadOnlyList<(string Host, int Port)> Servers, string Op, int Connections, int InFlight, int Payload, int ReadPercent,
    double DurationSeconds, double WarmupSeconds, int Keys, int Watchers, int DeleteCount, string? JsonPath, bool FailOnErrors, int Count = 0)
{
    public const string Help = """
        Load generator for any ZooKeeper-protocol server list.
          dotnet Orleans.Coordination.Benchmarks.dll [--option value]...
          dotnet Orleans.Coordination.Benchmarks.dll micro [BenchmarkDotNet arguments]
          dotnet Orleans.Coordination.Benchmarks.dll tree-memory [--nodes N] [--payload BYTES] [--parents K]
                                  live heap per znode of an in-process tree (built, then loaded from its snapshot)

          --servers H:P,H:P,...   servers (default 127.0.0.1:2181); connection k starts on server k mod n
                                  and, when its server closes it, reconnects to the next one
          --op OP                 set | get | exists | create | delete | multi | mix | watch (default set)
          --connections N         connections (default 16)
          --inflight N            requests outstanding per connection (default 64)
          --payload BYTES         value size (default 1024)
          --read-percent P        mix: share of getData, the rest setData (default 90)
          --keys N                znodes the workload spreads over (default 1000)
          --duration S            measured seconds (default 10); watch: number of rounds
          --warmup S              unmeasured seconds first (default 3); watch: unmeasured rounds
          --count N               instead of a duration: exactly N requests, timed as a whole
          --watchers N            watch: watching connections (default 100)
          --delete-count N        delete: nodes each connection creates first (default 20000)
          --json FILE             also write the result as JSON
          --fail-on-errors true   exit 1 when any request failed
        Errors count error replies and requests lost with a closed connection (lost); reconnects
        counts new sessions opened after a lost one, over the whole run including the warm-up.
        Throughput counts replies inside the measured window; latency also covers the requests in
        flight when it closed (their replies come up to 10 s later; one never answered counts its age).
        """;

    public static BenchOptions Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            map[args[i][2..]] = args[i + 1];
        }

        string Get(string k, string d) => map.TryGetValue(k, out var v) ? v : d;
        int Int(string k, int d) => int.Parse(Get(k, d.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        double Dbl(string k, double d) => double.Parse(Get(k, d.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var servers = Get("servers", "127.0.0.1:2181").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s =>
        {
            var colon = s.LastIndexOf(':');
            return (s[..colon], int.Parse(s[(colon + 1)..], CultureInfo.InvariantCulture));
        }).ToList();
        return new BenchOptions(
            servers,
            Get("op", "set"),
            Int("connections", 16),
            Int("inflight", 64),
            Int("payload", 1024),
            Int("read-percent", 90),
            Dbl("duration", 10),
            Dbl("warmup", 3),
            Int("keys", 1000),
            Int("watchers", 100),
            Int("delete-count", 20000),
            map.GetValueOrDefault("json"),
            Get("fail-on-errors", "false") == "true",
            Int("count", 0));
    }
}

/// <summary>One workload's outcome.</summary>
internal sealed record BenchResult(
    string Op, int Connections, int InFlight, int Payload, int ReadPercent, double Seconds, long Requests, double Throughput, long Errors,
    double P50Ms, double P99Ms, double P999Ms, double MaxMs, string Servers)
{
    /// <summary>Requests lost with a closed connection (included in <see cref="Errors"/>).</summary>
    public long Lost { get; init; }

    /// <summary>
    /// Requests in flight when the measured window closed: latency samples (their replies came later, or the run gave
    /// up on them after the drain timeout and counted them as lost), not part of the throughput.
    /// </summary>
    public long Late { get; init; }

    /// <summary>The load generator's own GC pauses during the window (its requests' latencies include them).</summary>
    public double? GeneratorGcPauseMs { get; init; }

    /// <summary>Sessions opened again after the server closed one, over the whole run.</summary>
    public int Reconnects { get; init; }

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"{Op,-7} conns={Connections} inflight={InFlight} payload={Payload}B: {Throughput,10:F0} ops/s  p50={P50Ms:F3} ms  p99={P99Ms:F3} ms  p99.9={P999Ms:F3} ms  max={MaxMs:F1} ms  errors={Errors} (lost={Lost})  reconnects={Reconnects}  ({Requests} in {Seconds:F1} s{(Late > 0 ? $", {Late} in flight at the end" : "")}{(GeneratorGcPauseMs is { } gc ? $"; generator GC pauses {gc:F0} ms" : "")})");
}
