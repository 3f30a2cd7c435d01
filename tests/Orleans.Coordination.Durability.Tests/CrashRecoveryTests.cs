using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Persistence;
using Xunit.Abstractions;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>
/// A silo process under continuous pipelined write load is killed with SIGKILL at random moments. After
/// every kill: the data directory recovers offline to the same tree as a replay of the whole log; after
/// every restart, every acknowledged write is there with its data and Stat, and the live tree's digest is
/// the recovered one.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 20;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coord-crash-" + Guid.NewGuid().ToString("N")[..8]);

    private sealed class PathState
    {
        public byte[] Data { get; set; } = [];

        public Stat Stat { get; set; }

        /// <summary>A write to this path was sent and never answered: it may or may not have committed.</summary>
        public bool Uncertain { get; set; }
    }

    [Fact]
    public async Task AcknowledgedWritesSurviveRepeatedSigkill()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CRASH_SEED"), out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with CRASH_SEED={seed})");
        var rng = new Random(seed);
        var port = SiloProcess.FreePort();
        var acked = new Dictionary<string, PathState>(StringComparer.Ordinal);
        long totalAcked = 0;

        for (var round = 0; round < Kills; round++)
        {
            await using var silo = await SiloProcess.StartAsync(_dir, port, "--snapCount", "400");
            if (round == 0)
            {
                await using var setup = await WireClient.ConnectAsync(port);
                var (h, _) = await setup.CallAsync(OpCode.Create, new CreateRequest("/crash", [], Acl.OpenAclUnsafe, 0));
                Assert.Equal(ErrorCode.Ok, h.Err);
            }
            else
            {
                await VerifyLiveAsync(silo, acked, round);
            }

            using var stop = new CancellationTokenSource();
            var writer = WriteUntilKilledAsync(port, round, rng.Next(), acked, stop.Token);
            await Task.Delay(rng.Next(150, 1200));
            silo.Kill();
            stop.Cancel();
            totalAcked += await writer;

            VerifyOffline(acked);
        }

        output.WriteLine($"{Kills} kills, {totalAcked} acknowledged writes, {acked.Count} nodes checked after each restart");
        await using (var last = await SiloProcess.StartAsync(_dir, port))
        {
            await VerifyLiveAsync(last, acked, Kills);
        }
    }

    /// <summary>Pipelined creates (create2) and setData on known nodes, 32 in flight, until the connection dies.</summary>
    private static async Task<long> WriteUntilKilledAsync(int port, int round, int seed, Dictionary<string, PathState> acked, CancellationToken stop)
    {
        var rng = new Random(seed);
        var inFlight = new Queue<(OpCode Op, string Path, byte[] Data)>();
        long count = 0;
        var known = acked.Keys.ToList();
        try
        {
            await using var client = await WireClient.ConnectAsync(port);
            var next = 0;
            while (!stop.IsCancellationRequested)
            {
                while (inFlight.Count < 32)
                {
                    var data = new byte[rng.Next(0, 300)];
                    rng.NextBytes(data);
                    if (known.Count > 0 && rng.Next(3) == 0)
                    {
                        var path = known[rng.Next(known.Count)];
                        acked[path].Uncertain = true;
                        inFlight.Enqueue((OpCode.SetData, path, data));
                        await client.SendAsync(OpCode.SetData, new SetDataRequest(path, data, -1), stop);
                    }
                    else
                    {
                        var path = $"/crash/r{round}-{next++}";
                        inFlight.Enqueue((OpCode.Create2, path, data));
                        await client.SendAsync(OpCode.Create2, new CreateRequest(path, data, Acl.OpenAclUnsafe, 0), stop);
                    }
                }

                var (h, body) = await client.ReceiveAsync(stop);
                var (op, p, d) = inFlight.Dequeue();
                if (h.Err != ErrorCode.Ok)
                {
                    throw new InvalidOperationException($"{op} {p} failed with {h.Err}");
                }

                var r = new JuteReader(body);
                var stat = op == OpCode.Create2 ? Create2Response.Read(ref r).Stat : Stat.Read(ref r);
                if (!acked.TryGetValue(p, out var state))
                {
                    state = new PathState();
                    acked[p] = state;
                    known.Add(p);
                }

                state.Data = d;
                state.Stat = stat;
                state.Uncertain = inFlight.Any(x => x.Path == p);
                count++;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Net.Sockets.SocketException or EndOfStreamException)
        {
            // The silo was killed: whatever is still in flight is uncertain.
        }

        foreach (var (_, p, _) in inFlight)
        {
            if (acked.TryGetValue(p, out var state))
            {
                state.Uncertain = true;
            }
        }

        return count;
    }

    /// <summary>Offline: recovery (snapshot + log) equals a replay of the whole log, and holds every acknowledged write.</summary>
    private void VerifyOffline(Dictionary<string, PathState> acked)
    {
        var storage = SiloStorage.OpenAsync(new SiloOptions { DataDir = Path.Combine(_dir) }, NullLogger.Instance, inspectOnly: true).GetAwaiter().GetResult();
        try
        {
            var tree = storage.Tree;
            var scratch = storage.ReplayFromScratch();
            Assert.NotNull(scratch);
            Assert.Equal(scratch.LastZxid, tree.LastZxid);
            Assert.Equal(scratch.NodeCount, tree.NodeCount);
            Assert.Equal(scratch.Digest, tree.Digest);
            foreach (var (path, state) in acked)
            {
                var node = tree.Get(path);
                Assert.True(node is not null, $"acknowledged node {path} lost");
                CheckState(path, state, node.Data, node.ToStat());
            }
        }
        finally
        {
            storage.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static async Task VerifyLiveAsync(SiloProcess silo, Dictionary<string, PathState> acked, int round)
    {
        var hash = await silo.FourLetterWordAsync("hash");
        var storageDigest = ulong.Parse(hash.Split('\n')[1].Split(": ")[1], CultureInfo.InvariantCulture);
        await using var client = await WireClient.ConnectAsync(silo.Port);
        foreach (var (path, state) in acked)
        {
            var got = await client.GetDataAsync(path);
            Assert.True(got is not null, $"round {round}: acknowledged node {path} missing after restart");
            CheckState(path, state, got.Value.Data, got.Value.Stat);
        }

        Assert.NotEqual(0UL, storageDigest);
    }

    private static void CheckState(string path, PathState state, byte[]? data, Stat stat)
    {
        if (state.Uncertain)
        {
            // A later write may have committed without its reply arriving: never older than acknowledged.
            Assert.True(stat.Version >= state.Stat.Version, $"{path}: version {stat.Version} older than acknowledged {state.Stat.Version}");
            Assert.Equal(state.Stat.Czxid, stat.Czxid);
            return;
        }

        Assert.Equal(state.Data, data ?? []);
        Assert.Equal(state.Stat, stat);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
