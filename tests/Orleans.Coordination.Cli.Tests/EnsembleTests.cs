using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Coordination.Cli.Tests.Infrastructure;
using static Orleans.Coordination.Cli.Tests.Infrastructure.Expect;

namespace Orleans.Coordination.Cli.Tests;

/// <summary>
/// The real `coord` executable against a 3-silo ensemble started by infra/ensemble.sh: status of every silo at once,
/// writes on one silo read on another, a silo killed and restarted the way docs/operations.md's rolling restart
/// does it, and every silo's admin endpoint over HTTP.
/// </summary>
[Collection(EnsembleCollection.Name)]
public sealed class EnsembleTests(EnsembleServer ensemble, ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private async Task<ProcessResult> Run(params string[] args)
    {
        var r = await Coord.RunAsync(args);
        output.WriteLine(r.Describe());
        return r;
    }

    [Fact]
    public async Task StatusListsEverySiloWithOneLeaderAndItsFollowersInSync()
    {
        var table = await WaitForHealthyStatusAsync();
        Assert.Matches(@"^SERVER\s+MODE\s+ZXID\s+LAG\s+CONNECTIONS\s+OUTSTANDING\s+NODES\s+WATCHES", table.Lines[0]);
        var rows = table.Lines[1..4];
        var modes = new List<string>();
        foreach (var (row, i) in rows.Select((r, k) => (r, k + 1)))
        {
            var m = Regex.Match(row, $@"^{Regex.Escape(ensemble.Client(i))}\s+(leader|follower)\s+0x[0-9a-f]+\s+(\d+)\s+(\d+)\s+\d+\s+(\d+)\s+\d+");
            Assert.True(m.Success, $"row {i}: {row}");
            modes.Add(m.Groups[1].Value);
            Assert.True(long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) >= 1, "srvr counts the probe's own connection");
            Assert.True(long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) >= 5, "the reserved znodes at least");
        }

        Assert.Equal(1, modes.Count(m => m == "leader"));
        var leader = ensemble.Client(modes.IndexOf("leader") + 1);
        Assert.Matches($@"^3 server\(s\), 3 serving, highest zxid 0x[0-9a-f]+, leader {Regex.Escape(leader)} \(2/2 voting followers in sync\)$", table.Lines[4]);

        var json = Ok(await Run("status", "--servers", ensemble.Servers, "--json"));
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(3, doc.RootElement.GetProperty("servingCount").GetInt32());
        Assert.Equal(leader, doc.RootElement.GetProperty("leader").GetString());
        var servers = doc.RootElement.GetProperty("servers").EnumerateArray().ToList();
        Assert.Equal(3, servers.Count);
        Assert.All(servers, s => Assert.Equal(3, s.GetProperty("quorumSize").GetInt32()));
        Assert.Equal(
            ["leading - broadcast", "following - broadcast", "following - broadcast"],
            servers.Select(s => s.GetProperty("peerState").GetString()!).OrderByDescending(p => p.StartsWith("leading", StringComparison.Ordinal)));
        Assert.Equal(2, servers.Single(s => s.GetProperty("mode").GetString() == "leader").GetProperty("syncedFollowers").GetInt32());
    }

    [Fact]
    public async Task CreateOnOneSiloGetOnAnotherAfterSync()
    {
        var b = NewBase("replicated");
        Stdout(Ok(await Coord.ZkAsync(ensemble.Client(1), "create", b, "from-one")), $"Created {b}");

        // sync then get in one session on another silo: the read reflects the write acknowledged on silo 1.
        var read = Ok(await Coord.ShellAsync(ensemble.Client(3), $"sync {b}", $"get {b}", "quit"));
        output.WriteLine(read.Describe());
        Assert.Equal("from-one", AfterSync(read));

        // A write on a follower is forwarded to the leader; every silo then has it.
        Assert.Equal("", Ok(await Coord.ZkAsync(ensemble.Client(2), "set", b, "from-two")).Stdout);
        foreach (var i in ensemble.Ids)
        {
            var r = Ok(await Coord.ShellAsync(ensemble.Client(i), $"sync {b}", $"get {b}", "quit"));
            Assert.Equal("from-two", AfterSync(r));
        }

        // Status shows every silo at the same zxid once it has applied the writes.
        var table = await WaitForHealthyStatusAsync();
        Assert.All(table.Lines[1..4], row => Assert.Matches(@"^\S+\s+(leader|follower)\s+0x[0-9a-f]+\s+0\s", row));
        Fails(await Coord.ZkAsync(ensemble.Client(3), "create", b), $"Node already exists: {b}");
    }

    [Fact]
    public async Task StatusFailsWhileASiloIsDownAndRecoversAfterItsRestart()
    {
        var follower = await FollowerAsync();
        await ensemble.KillAsync(follower);
        var down = await Run("status", "--servers", ensemble.Servers, "--timeout", "2000");
        Assert.Equal(1, down.ExitCode);
        Assert.Matches($@"^{Regex.Escape(ensemble.Client(follower))}\s+unreachable\s+-\s+-", down.Lines[follower]);
        Assert.StartsWith("3 server(s), 2 serving", down.Lines[4], StringComparison.Ordinal);

        // The two others still form a quorum and take writes.
        var b = NewBase("while-down");
        var other = ensemble.Ids.First(i => i != follower);
        Stdout(Ok(await Coord.ZkAsync(ensemble.Client(other), "create", b, "x")), $"Created {b}");

        // Restart it as a rolling restart does, and wait until it is a follower in sync with LAG 0.
        var restart = await ensemble.StartOneAsync(follower);
        output.WriteLine(restart.Describe());
        Assert.True(restart.ExitCode == 0, restart.Describe() + "\n" + ensemble.LogTails());
        var table = await WaitForHealthyStatusAsync();
        Assert.Matches($@"^{Regex.Escape(ensemble.Client(follower))}\s+follower\s+0x[0-9a-f]+\s+0\s", table.Lines[follower]);
        Stdout(Ok(await Coord.ZkAsync(ensemble.Client(follower), "get", b)), "x");
    }

    [Fact]
    public async Task EveryAdminEndpointOfEverySiloAnswersParseableJsonAndMetrics()
    {
        await WaitForHealthyStatusAsync();
        var leaders = new List<int>();
        var leaderIds = new HashSet<int>();
        foreach (var i in ensemble.Ids)
        {
            var admin = ensemble.Admin(i);
            using (var list = await GetJsonAsync(admin, "/commands"))
            {
                foreach (var name in list.RootElement.GetProperty("commands").EnumerateArray().Select(e => e.GetString()!).Where(n => n != "snapshot"))
                {
                    using var response = await Http.GetAsync(new Uri($"http://{admin}/commands/{name}"));
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"silo {i} {name}: {(int)response.StatusCode} {body}");
                    using var doc = JsonDocument.Parse(body);
                    Assert.Equal(name, doc.RootElement.GetProperty("command").GetString());
                    Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("error").ValueKind);
                }
            }

            using (var lead = await GetJsonAsync(admin, "/commands/lead"))
            {
                if (lead.RootElement.GetProperty("is_leader").GetBoolean())
                {
                    leaders.Add(i);
                }

                leaderIds.Add(lead.RootElement.GetProperty("leader_id").GetInt32());
            }

            using (var view = await GetJsonAsync(admin, "/commands/voting_view"))
            {
                Assert.Equal(["1", "2", "3"], view.RootElement.GetProperty("current_config").EnumerateObject().Select(p => p.Name));
            }

            using (var zab = await GetJsonAsync(admin, "/commands/zabstate"))
            {
                Assert.Equal("broadcast", zab.RootElement.GetProperty("zabstate").GetString());
            }

            var ready = await Http.GetAsync(new Uri($"http://{admin}/health/ready"));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

            var metrics = await Http.GetStringAsync(new Uri($"http://{admin}/metrics"));
            var samples = metrics.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'))
                .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
            Assert.Equal(3, samples["coord_quorum_size"]);
            Assert.Equal(1, samples["coord_serving"]);
            Assert.Equal(0, samples["coord_protocol_violations_total"]);
            Assert.Equal(1, samples["coord_server_state{state=\"leader\"}"] + samples["coord_server_state{state=\"follower\"}"]);
        }

        Assert.Single(leaders);
        Assert.Equal([leaders[0]], leaderIds);
    }

    /// <summary>Runs status until it exits 0 with the leader reporting both followers in sync (bounded).</summary>
    private async Task<ProcessResult> WaitForHealthyStatusAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var r = await Coord.RunAsync("status", "-server", ensemble.Servers, "--timeout", "3000");
            if (r.ExitCode == 0 && r.Lines.Length >= 5 && r.Lines[4].Contains("(2/2 voting followers in sync)", StringComparison.Ordinal)
                && r.Lines[1..4].All(l => Regex.IsMatch(l, @"^\S+\s+(leader|follower)\s+0x[0-9a-f]+\s+0\s")))
            {
                output.WriteLine(r.Describe());
                return r;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the ensemble did not report 3 silos serving, one leader, both followers in sync:\n{r.Describe()}\n{ensemble.LogTails()}");
            }

            await Task.Delay(500);
        }
    }

    /// <summary>The line the shell printed after "Sync is OK" (the get's data), after the banner and connect event.</summary>
    private static string AfterSync(ProcessResult r)
    {
        var lines = r.Lines;
        var i = Array.IndexOf(lines, "Sync is OK");
        Assert.True(i >= 0 && i + 1 < lines.Length, r.Describe());
        return lines[i + 1];
    }

    private async Task<int> FollowerAsync()
    {
        var table = await WaitForHealthyStatusAsync();
        return Array.FindIndex(table.Lines[1..4], l => Regex.IsMatch(l, @"^\S+\s+follower\s")) + 1;
    }

    private static async Task<JsonDocument> GetJsonAsync(string admin, string path) =>
        JsonDocument.Parse(await Http.GetStringAsync(new Uri($"http://{admin}{path}")));
}
