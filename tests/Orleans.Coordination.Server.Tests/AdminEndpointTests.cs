using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>
/// The admin HTTP endpoint fetched over HTTP as an operator's tools fetch it: every command as JSON, /metrics parsed as
/// Prometheus text, the health probes; on a standalone silo and on a 3-silo ensemble in this process.
/// </summary>
public sealed partial class AdminEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private static string[] AllCommands =>
        ["ruok", "srvr", "stat", "conf", "cons", "envi", "mntr", "wchs", "wchc", "wchp", "dump", "isro", "crst", "srst", "gtmk", "stmk", "dirs", "hash", "lead", "voting_view", "zabstate", "lsnp"];

    [Fact]
    public async Task Every_command_answers_json_with_command_and_error_fields()
    {
        await using var silo = await TestSilo.StartAsync(o => { o.AdminEnabled = true; o.AdminPort = 0; });
        var admin = silo.Host.AdminPort;
        using (var list = await GetJsonAsync(admin, "/commands"))
        {
            var listed = list.RootElement.GetProperty("commands").EnumerateArray().Select(e => e.GetString()).ToHashSet();
            Assert.Superset(AllCommands.ToHashSet(), listed!);
        }

        foreach (var name in AllCommands)
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{admin}/commands/{name}"));
            var body = await response.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            Assert.Equal(name, doc.RootElement.GetProperty("command").GetString());
            var error = doc.RootElement.GetProperty("error");
            if (name == "lead")
            {
                // As ZooKeeper: a standalone server has no leader.
                Assert.Equal("server is not initialized", error.GetString());
            }
            else
            {
                Assert.True(error.ValueKind == JsonValueKind.Null, $"{name}: {body}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        using var unknown = await Http.GetAsync(new Uri($"http://127.0.0.1:{admin}/commands/nope"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Standalone_silo_reports_standalone_everywhere()
    {
        await using var silo = await TestSilo.StartAsync(o => { o.AdminEnabled = true; o.AdminPort = 0; });
        var admin = silo.Host.AdminPort;
        await using (var c = await silo.ConnectAsync())
        {
            await c.CreateOkAsync("/a");
        }

        using var mntr = await GetJsonAsync(admin, "/commands/mntr");
        Assert.Equal("standalone", mntr.RootElement.GetProperty("server_state").GetString());
        Assert.True(mntr.RootElement.GetProperty("znode_count").GetInt64() >= 5);
        Assert.False(mntr.RootElement.TryGetProperty("peer_state", out _));

        // The admin alias names of ZooKeeper's AdminServer run the same commands.
        using var monitor = await GetJsonAsync(admin, "/commands/monitor");
        Assert.Equal("standalone", monitor.RootElement.GetProperty("server_state").GetString());

        using var srvr = await GetJsonAsync(admin, "/commands/srvr");
        Assert.Equal("standalone", srvr.RootElement.GetProperty("server_stats").GetProperty("server_state").GetString());
        Assert.Contains("\nMode: standalone\n", srvr.RootElement.GetProperty("output").GetString(), StringComparison.Ordinal);

        using var zab = await GetJsonAsync(admin, "/commands/zabstate");
        Assert.False(zab.RootElement.GetProperty("voting").GetBoolean());
        Assert.Equal("", zab.RootElement.GetProperty("zabstate").GetString());

        using var view = await GetJsonAsync(admin, "/commands/voting_view");
        Assert.Empty(view.RootElement.GetProperty("current_config").EnumerateObject());

        using var isro = await GetJsonAsync(admin, "/commands/is_read_only");
        Assert.False(isro.RootElement.GetProperty("read_only").GetBoolean());

        var ready = await Http.GetAsync(new Uri($"http://127.0.0.1:{admin}/health/ready"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready: standalone\n", await ready.Content.ReadAsStringAsync());

        var metrics = await MetricsAsync(admin);
        Assert.Equal(1, metrics["coord_server_state{state=\"standalone\"}"]);
        Assert.Equal(0, metrics["coord_server_state{state=\"leader\"}"]);
        Assert.Equal(1, metrics["coord_quorum_size"]);
        Assert.Equal(0, metrics["coord_elections_total"]);
        Assert.Equal(0, metrics["coord_protocol_violations_total"]);
        Assert.True(metrics["coord_znode_count"] >= 5);
    }

    [Fact]
    public async Task Lsnp_reports_the_newest_snapshot_in_zookeepers_format()
    {
        await using var silo = await TestSilo.StartAsync(o =>
        {
            o.AdminEnabled = true;
            o.AdminPort = 0;
            o.AdminToken = "admin-endpoint-tests-token";
        });
        var admin = silo.Host.AdminPort;
        await using (var c = await silo.ConnectAsync())
        {
            await c.CreateOkAsync("/snap");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{admin}/commands/snapshot"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin-endpoint-tests-token");
        using var taken = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        using var meta = JsonDocument.Parse(await taken.Content.ReadAsStringAsync());
        var zxid = meta.RootElement.GetProperty("lastZxid").GetString()!;

        using var lsnp = await GetJsonAsync(admin, "/commands/last_snapshot");
        Assert.Equal(zxid[2..], lsnp.RootElement.GetProperty("zxid").GetString()); // hex without 0x, as ZooKeeper
        var seconds = lsnp.RootElement.GetProperty("timestamp").GetInt64();
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds, 0, 120);
        Assert.Equal(meta.RootElement.GetProperty("id").GetInt64(), lsnp.RootElement.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Metrics_are_valid_prometheus_text_with_documented_names()
    {
        await using var silo = await TestSilo.StartAsync(o => { o.AdminEnabled = true; o.AdminPort = 0; });
        await using (var c = await silo.ConnectAsync())
        {
            await c.CreateOkAsync("/m");
        }

        var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.Host.AdminPort}/metrics"));
        var typed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "gauge", "counter", "histogram" });
                Assert.True(typed.TryAdd(parts[2], parts[3]), $"TYPE given twice for {parts[2]}");
                continue;
            }

            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample: {line}");
            var name = m.Groups["name"].Value;
            var family = typed.Keys.Where(k => name == k || name.StartsWith(k + "_", StringComparison.Ordinal)).MaxBy(k => k.Length);
            Assert.True(family is not null, $"{name} has no # TYPE line before it");
            double.Parse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        // Every name docs/operations.md documents is exposed.
        var documented = File.ReadAllText(Repository.File("docs", "operations.md"));
        foreach (var name in typed.Keys)
        {
            Assert.True(documented.Contains($"`{name}`", StringComparison.Ordinal), $"{name} is not documented in docs/operations.md");
        }

        Assert.Contains("coord_request_latency_seconds_bucket{op=\"create\",le=\"+Inf\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ensemble_reports_one_leader_and_stops_being_ready_without_a_quorum()
    {
        await using var ensemble = await InProcessEnsemble.StartAsync(3);
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var followers = ensemble.Silos.Where(s => s != leader).ToList();

        // 4lw on the client port.
        Assert.Contains("\nMode: leader\n", await FourLetterWordAsync(leader.ClientPort, "srvr"), StringComparison.Ordinal);
        Assert.Contains("\nProposal sizes last/min/max: ", await FourLetterWordAsync(leader.ClientPort, "srvr"), StringComparison.Ordinal);
        foreach (var f in followers)
        {
            Assert.Contains("\nMode: follower\n", await FourLetterWordAsync(f.ClientPort, "stat"), StringComparison.Ordinal);
        }

        var leaderMntr = Mntr(await FourLetterWordAsync(leader.ClientPort, "mntr"));
        Assert.Equal("leader", leaderMntr["zk_server_state"]);
        Assert.Equal("leading - broadcast", leaderMntr["zk_peer_state"]);
        Assert.Equal("3", leaderMntr["zk_quorum_size"]);
        Assert.Equal("2", leaderMntr["zk_followers"]);
        Assert.Equal("2", leaderMntr["zk_synced_followers"]);
        var followerMntr = Mntr(await FourLetterWordAsync(followers[0].ClientPort, "mntr"));
        Assert.Equal("following - broadcast", followerMntr["zk_peer_state"]);
        Assert.False(followerMntr.ContainsKey("zk_synced_followers"), "leader-only keys stay off followers");

        // Admin commands.
        using (var lead = await GetJsonAsync(followers[0].AdminPort, "/commands/lead"))
        {
            Assert.False(lead.RootElement.GetProperty("is_leader").GetBoolean());
            Assert.Equal(leader.Options.ServerId, lead.RootElement.GetProperty("leader_id").GetInt32());
            Assert.Equal("127.0.0.1", lead.RootElement.GetProperty("leader_ip").GetString());
        }

        using (var lead = await GetJsonAsync(leader.AdminPort, "/commands/leader"))
        {
            Assert.True(lead.RootElement.GetProperty("is_leader").GetBoolean());
        }

        using (var view = await GetJsonAsync(leader.AdminPort, "/commands/voting_view"))
        {
            var config = view.RootElement.GetProperty("current_config");
            foreach (var s in ensemble.Silos)
            {
                var m = s.Options.Ensemble.Members.Single(x => x.Id == s.Options.ServerId);
                Assert.Equal($"127.0.0.1:{m.QuorumPort}:{m.ElectionPort}:participant;127.0.0.1:{s.ClientPort}", config.GetProperty(m.Id.ToString(CultureInfo.InvariantCulture)).GetString());
            }
        }

        using (var zab = await GetJsonAsync(followers[1].AdminPort, "/commands/zabstate"))
        {
            Assert.True(zab.RootElement.GetProperty("voting").GetBoolean());
            Assert.Equal("broadcast", zab.RootElement.GetProperty("zabstate").GetString());
        }

        var metrics = await MetricsAsync(leader.AdminPort);
        Assert.Equal(1, metrics["coord_server_state{state=\"leader\"}"]);
        Assert.Equal(3, metrics["coord_quorum_size"]);
        Assert.Equal(2, metrics["coord_synced_followers"]);
        Assert.True(metrics["coord_elections_total"] >= 1);
        Assert.Equal(0, metrics["coord_protocol_violations_total"]);
        Assert.Equal(1, (await MetricsAsync(followers[0].AdminPort))["coord_server_state{state=\"follower\"}"]);
        foreach (var s in ensemble.Silos)
        {
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri($"http://127.0.0.1:{s.AdminPort}/health/ready"))).StatusCode);
        }

        // Two of three gone: the survivor has no quorum, stops serving, and says so as ZooKeeper does.
        var survivor = followers[0];
        await ensemble.KillAsync(leader);
        await ensemble.KillAsync(followers[1]);
        // Between the two kills the survivor may briefly follow the second silo, and a notification that silo sent before it
        // died can still arrive after the survivor went back to looking, making it try to follow a dead leader until its
        // sync timeout (initLimit) runs out. Wait until it has been looking for longer than that.
        await WaitUntilStableAsync(
            async () =>
            {
                if ((await Http.GetAsync(new Uri($"http://127.0.0.1:{survivor.AdminPort}/health/ready"))).StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                using var state = await GetJsonAsync(survivor.AdminPort, "/commands/mntr");
                return state.RootElement.GetProperty("server_state").GetString() == "looking";
            },
            hold: TimeSpan.FromSeconds(3),
            timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("This ZooKeeper instance is not currently serving requests\n", await FourLetterWordAsync(survivor.ClientPort, "srvr"));
        Assert.Equal("This ZooKeeper instance is not currently serving requests\n", await FourLetterWordAsync(survivor.ClientPort, "mntr"));
        Assert.Equal("null", await FourLetterWordAsync(survivor.ClientPort, "isro"));
        Assert.Equal("imok", await FourLetterWordAsync(survivor.ClientPort, "ruok"));
        Assert.StartsWith("Environment:\n", await FourLetterWordAsync(survivor.ClientPort, "envi"), StringComparison.Ordinal);

        // The admin endpoint still tells an operator what the silo is doing (monitor and zabstate answer, as in ZooKeeper).
        using (var mntr = await GetJsonAsync(survivor.AdminPort, "/commands/mntr"))
        {
            Assert.Equal("looking", mntr.RootElement.GetProperty("server_state").GetString());
        }

        using (var zab = await GetJsonAsync(survivor.AdminPort, "/commands/zabstate"))
        {
            Assert.Equal("election", zab.RootElement.GetProperty("zabstate").GetString());
        }

        using var refused = await Http.GetAsync(new Uri($"http://127.0.0.1:{survivor.AdminPort}/commands/srvr"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("This ZooKeeper instance is not currently serving requests", body.RootElement.GetProperty("error").GetString());
        Assert.Equal(1, (await MetricsAsync(survivor.AdminPort))["coord_server_state{state=\"looking\"}"]);
    }

    private static async Task<JsonDocument> GetJsonAsync(int adminPort, string path)
    {
        var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}{path}"));
        return JsonDocument.Parse(text);
    }

    /// <summary>Every unlabelled or labelled sample (not histogram buckets), by name with labels, parsed as a number.</summary>
    private static async Task<Dictionary<string, double>> MetricsAsync(int adminPort)
    {
        var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/metrics"));
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    private static async Task<string> FourLetterWordAsync(int port, string word)
    {
        await using var c = await RawClient.OpenAsync(port);
        return await c.FourLetterWordAsync(word);
    }

    private static Dictionary<string, string> Mntr(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> has held at every check for <paramref name="hold"/>.</summary>
    private static async Task WaitUntilStableAsync(Func<Task<bool>> condition, TimeSpan hold, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        DateTime? since = null;
        while (true)
        {
            if (await condition())
            {
                since ??= DateTime.UtcNow;
                if (DateTime.UtcNow - since >= hold)
                {
                    return;
                }
            }
            else
            {
                since = null;
            }

            Assert.True(DateTime.UtcNow < deadline, $"condition did not hold for {hold} within {timeout}");
            await Task.Delay(100);
        }
    }


    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*=""[^""]*""(,[a-zA-Z_][a-zA-Z0-9_]*=""[^""]*"")*\})? (?<value>\S+)$")]
    private static partial Regex SampleLine();

    /// <summary>N replicated silos in this process on free loopback ports, each with its own data directory (removed on dispose).</summary>
    private sealed class InProcessEnsemble : IAsyncDisposable
    {
        private readonly string _dir;
        private readonly HashSet<SiloHost> _killed = [];

        private InProcessEnsemble(string dir, List<SiloHost> silos)
        {
            _dir = dir;
            Silos = silos;
        }

        public List<SiloHost> Silos { get; }

        public static async Task<InProcessEnsemble> StartAsync(int n)
        {
            var dir = Path.Combine(Path.GetTempPath(), "coord-admin-tests", Guid.NewGuid().ToString("N"));
            var ports = FreePorts(n * 3);
            var members = Enumerable.Range(1, n)
                .Select(i => new EnsembleMemberOptions(i, "127.0.0.1", ports[(i - 1) * 3], ports[((i - 1) * 3) + 1], EnsembleRole.Voter, ports[((i - 1) * 3) + 2]))
                .ToList();
            var ensemble = new InProcessEnsemble(dir, []);
            try
            {
                var starts = members.Select(m =>
                {
                    var options = TestSilo.DefaultOptions(Path.Combine(dir, $"s{m.Id}"));
                    options.ServerId = m.Id;
                    options.ClientPort = m.ClientPort;
                    options.AdminEnabled = true;
                    options.AdminPort = 0;
                    options.Ensemble = new EnsembleOptions { Members = members };
                    return SiloHost.StartAsync(options, logging: _ => { });
                }).ToList();
                foreach (var s in starts)
                {
                    ensemble.Silos.Add(await s.WaitAsync(TimeSpan.FromSeconds(30)));
                }

                return ensemble;
            }
            catch
            {
                await ensemble.DisposeAsync();
                throw;
            }
        }

        public async Task<SiloHost> WaitForLeaderAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var views = await Task.WhenAll(Silos.Select(s => s.Core.InvokeAsync(() => s.Core.Replication)));
                if (views.All(v => v.IsServing) && views.Count(v => v.Mode == "leader") == 1 && views.Any(v => v.SyncedVoters == Silos.Count))
                {
                    return Silos[Array.FindIndex(views, v => v.Mode == "leader")];
                }

                Assert.True(DateTime.UtcNow < deadline, $"no leader with every follower in sync within {timeout}: {string.Join("; ", views.Select(v => $"{v.ServerId} {v.Mode} serving={v.IsServing}"))}");
                await Task.Delay(100);
            }
        }

        public async Task KillAsync(SiloHost silo)
        {
            if (_killed.Add(silo))
            {
                await silo.KillAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var s in Silos)
            {
                await KillAsync(s);
            }

            for (var attempt = 0; attempt < 5 && Directory.Exists(_dir); attempt++)
            {
                try
                {
                    Directory.Delete(_dir, recursive: true);
                }
                catch (IOException)
                {
                    await Task.Delay(100);
                }
            }
        }

        private static int[] FreePorts(int count)
        {
            var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
            listeners.ForEach(l => l.Start());
            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            listeners.ForEach(l => l.Stop());
            return ports;
        }
    }
}
