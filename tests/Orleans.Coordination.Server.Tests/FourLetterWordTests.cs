using System.Globalization;
using System.Text.RegularExpressions;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Four-letter words on the client port: plain text, then the server closes.</summary>
public sealed partial class FourLetterWordTests
{
    private static async Task<string> AskAsync(TestSilo silo, string word)
    {
        await using var c = await RawClient.OpenAsync(silo.Port);
        return await c.FourLetterWordAsync(word);
    }

    private static string[] Lines(string text) => text.Split('\n');

    private static long Number(string text, string prefix)
    {
        var line = Assert.Single(Lines(text), l => l.StartsWith(prefix, StringComparison.Ordinal));
        return long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Ruok_answers_imok_without_a_newline()
    {
        await using var silo = await TestSilo.StartAsync();
        Assert.Equal("imok", await AskAsync(silo, "ruok"));
    }

    [Fact]
    public async Task Words_outside_the_whitelist_are_refused_by_name()
    {
        await using var silo = await TestSilo.StartAsync(o => o.FourLetterWords = ["ruok", "srvr"]);
        Assert.Equal("stat is not executed because it is not in the whitelist.\n", await AskAsync(silo, "stat"));
        Assert.Equal("mntr is not executed because it is not in the whitelist.\n", await AskAsync(silo, "mntr"));
        Assert.Equal("imok", await AskAsync(silo, "ruok"));
        Assert.StartsWith("Zookeeper version: ", await AskAsync(silo, "srvr"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_whitelist_is_srvr_only()
    {
        await using var silo = await TestSilo.StartAsync(o => o.FourLetterWords = new Configuration.SiloOptions().FourLetterWords);
        Assert.Equal("ruok is not executed because it is not in the whitelist.\n", await AskAsync(silo, "ruok"));
        Assert.StartsWith("Zookeeper version: ", await AskAsync(silo, "srvr"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Srvr_has_the_zookeeper_lines_with_parseable_numbers()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/a");
        await c.CreateOkAsync("/b");
        var text = await AskAsync(silo, "srvr");
        var lines = Lines(text);
        Assert.Matches(@"^Zookeeper version: \S+, built on .+$", lines[0]);
        var latency = Assert.Single(lines, l => l.StartsWith("Latency min/avg/max: ", StringComparison.Ordinal));
        var parts = latency["Latency min/avg/max: ".Length..].Split('/');
        Assert.Equal(3, parts.Length);
        Assert.All(parts, p => double.Parse(p, CultureInfo.InvariantCulture));
        Assert.True(Number(text, "Received: ") >= 2);
        Assert.True(Number(text, "Sent: ") >= 2);
        // As in ZooKeeper, the connection asking is counted too.
        Assert.Equal(2, Number(text, "Connections: "));
        Assert.Equal(0, Number(text, "Outstanding: "));
        var zxid = Assert.Single(lines, l => l.StartsWith("Zxid: 0x", StringComparison.Ordinal));
        Assert.Equal(c.LastZxid, long.Parse(zxid["Zxid: 0x".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Contains("Mode: standalone", lines);
        Assert.Equal(6, Number(text, "Node count: "));
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stat_inserts_a_client_list_after_the_version_line()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/a");
        var lines = Lines(await AskAsync(silo, "stat"));
        Assert.StartsWith("Zookeeper version: ", lines[0], StringComparison.Ordinal);
        Assert.Equal("Clients:", lines[1]);
        Assert.Matches(ClientLine(), lines[2]);
        // The connection asking is listed last, as ZooKeeper lists it: [0](queued=0,recved=1,sent=0).
        Assert.Matches(@"^ /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$", lines[3]);
        Assert.Equal(string.Empty, lines[4]);
        Assert.StartsWith("Latency min/avg/max: ", lines[5], StringComparison.Ordinal);
        Assert.Contains("Mode: standalone", lines);
    }

    [Fact]
    public async Task Mntr_is_tab_separated_zk_keys_with_numeric_counts()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/e", mode: CreateMode.Ephemeral);
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/e", watch: true)).Err);
        var text = await AskAsync(silo, "mntr");
        var map = new Dictionary<string, string>();
        foreach (var line in Lines(text).Where(l => l.Length > 0))
        {
            var tab = line.Split('\t');
            Assert.Equal(2, tab.Length);
            Assert.StartsWith("zk_", tab[0], StringComparison.Ordinal);
            map.Add(tab[0], tab[1]);
        }

        Assert.StartsWith("3.", map["zk_version"], StringComparison.Ordinal);
        Assert.Equal("standalone", map["zk_server_state"]);
        double.Parse(map["zk_avg_latency"], CultureInfo.InvariantCulture);
        Assert.Equal("2", map["zk_num_alive_connections"]);
        Assert.Equal("5", map["zk_znode_count"]);
        Assert.Equal("1", map["zk_watch_count"]);
        Assert.Equal("1", map["zk_ephemerals_count"]);
        long.Parse(map["zk_packets_received"], CultureInfo.InvariantCulture);
        long.Parse(map["zk_packets_sent"], CultureInfo.InvariantCulture);
        long.Parse(map["zk_outstanding_requests"], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Cons_lists_each_connection_with_its_session()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync(30_000);
        await c.CreateOkAsync("/a");
        var text = await AskAsync(silo, "cons");
        var lines = Lines(text);
        // The asking connection comes first ([0], no session); then the client's own line.
        Assert.Matches(@"^ /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$", lines[0]);
        var line = Assert.Single(lines, l => l.Contains("sid=", StringComparison.Ordinal));
        Assert.Matches(ConsLine(), line);
        Assert.Contains($"sid=0x{c.SessionId:x},", line, StringComparison.Ordinal);
        Assert.Contains(",to=30000,", line, StringComparison.Ordinal);
        Assert.Contains(",lop=CREA,", line, StringComparison.Ordinal);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wchs_wchc_and_wchp_describe_the_watches()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/w1");
        await c.CreateOkAsync("/w2");
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/w1", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await c.GetChildrenAsync("/w2", watch: true)).Err);

        Assert.Equal("1 connections watching 2 paths\nTotal watches:2\n", await AskAsync(silo, "wchs"));
        Assert.Equal($"0x{c.SessionId:x}\n\t/w1\n\t/w2\n", await AskAsync(silo, "wchc"));
        Assert.Equal($"/w1\n\t0x{c.SessionId:x}\n/w2\n\t0x{c.SessionId:x}\n", await AskAsync(silo, "wchp"));
    }

    [Fact]
    public async Task Dump_lists_sessions_ephemerals_and_connections()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/eph", mode: CreateMode.Ephemeral);
        var text = await AskAsync(silo, "dump");
        var lines = Lines(text);
        var sid = $"0x{c.SessionId:x}";
        Assert.Equal("SessionTracker dump:", lines[0]);
        var eph = Array.IndexOf(lines, "ephemeral nodes dump:");
        var cons = Array.IndexOf(lines, "Connections dump:");
        Assert.True(eph > 0 && cons > eph, text);
        Assert.Contains(lines[..eph], l => l.StartsWith(sid, StringComparison.Ordinal));
        var ephLines = lines[eph..cons];
        Assert.Contains(sid + ":", ephLines);
        Assert.Contains("\t/eph", ephLines);
        Assert.Contains(lines[cons..], l => l.Contains(sid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Conf_lists_key_value_settings_including_the_bound_client_port()
    {
        await using var silo = await TestSilo.StartAsync(o =>
        {
            o.TickTime = 100;
            o.ServerId = 3;
        });
        var text = await AskAsync(silo, "conf");
        var map = Lines(text).Where(l => l.Length > 0).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("100", map["tickTime"]);
        Assert.Equal("200", map["minSessionTimeout"]);
        Assert.Equal("2000", map["maxSessionTimeout"]);
        Assert.Equal("3", map["serverId"]);
        Assert.Equal(Path.GetFullPath(silo.DataDir), Path.GetFullPath(map["dataDir"]));
        int.Parse(map["maxClientCnxns"], CultureInfo.InvariantCulture);

        // ZooKeeper prints the port it is listening on, which tools then use to connect.
        Assert.Equal(silo.Port.ToString(CultureInfo.InvariantCulture), map["clientPort"]);
    }

    [Fact]
    public async Task Envi_starts_with_Environment_then_key_value_lines()
    {
        await using var silo = await TestSilo.StartAsync();
        var lines = Lines(await AskAsync(silo, "envi")).Where(l => l.Length > 0).ToList();
        Assert.Equal("Environment:", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.Matches(@"^[a-z.]+=", l));
        Assert.Contains(lines, l => l.StartsWith("zookeeper.version=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("host.name=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Isro_answers_rw()
    {
        await using var silo = await TestSilo.StartAsync();
        Assert.Equal("rw", await AskAsync(silo, "isro"));
    }

    [Fact]
    public async Task Srst_resets_server_counters()
    {
        await using var silo = await TestSilo.StartAsync();
        await using (var c = await silo.ConnectAsync())
        {
            await c.CreateOkAsync("/a");
            await c.CreateOkAsync("/b");
        }

        Assert.True(Number(await AskAsync(silo, "srvr"), "Received: ") >= 2);
        Assert.Equal("Server stats reset.\n", await AskAsync(silo, "srst"));
        var text = await AskAsync(silo, "srvr");
        Assert.Equal(0, Number(text, "Received: "));
        Assert.Equal(0, Number(text, "Sent: "));
        Assert.Equal("Latency min/avg/max: 0/0/0", Assert.Single(Lines(text), l => l.StartsWith("Latency", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Crst_resets_connection_counters()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/a");
        await c.CreateOkAsync("/b");
        Assert.Contains("recved=2,", await AskAsync(silo, "cons"), StringComparison.Ordinal);
        Assert.Equal("Connection stats reset.\n", await AskAsync(silo, "crst"));
        var line = Assert.Single(Lines(await AskAsync(silo, "cons")), l => l.Contains("sid=", StringComparison.Ordinal));
        Assert.Contains("recved=0,sent=0,", line, StringComparison.Ordinal);
        Assert.Contains(",lop=NA,", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_word_split_across_two_writes_is_still_recognised()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await RawClient.OpenAsync(silo.Port);
        await c.SendRawAsync("ru"u8.ToArray());
        await Task.Delay(50);
        await c.SendRawAsync("ok"u8.ToArray());
        Assert.Equal("imok", System.Text.Encoding.ASCII.GetString(await c.ReadUntilClosedAsync()));
    }

    [Fact]
    public async Task A_word_after_the_handshake_is_not_a_command()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.SendRawAsync("ruok"u8.ToArray());
        await c.AssertClosedWithoutReplyAsync();
    }

    [GeneratedRegex(@"^ /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+\)$")]
    private static partial Regex ClientLine();

    [GeneratedRegex(@"^ /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=[A-Z0-9]+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$")]
    private static partial Regex ConsLine();
}
