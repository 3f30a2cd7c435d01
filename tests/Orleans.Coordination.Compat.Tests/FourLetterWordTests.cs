using System.Text.RegularExpressions;
using Orleans.Coordination.Compat.Tests.Infrastructure;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>
/// Four-letter words sent on the client port the way `echo ruok | nc host port` does: the shapes that
/// monitoring scripts parse. (python/kazoo_fourletter.py checks them with a live session.)
/// </summary>
public abstract partial class FourLetterWordTests(CoordinationServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task Ruok() => Assert.Equal("imok", await SendAsync("ruok"));

    [Fact]
    public async Task Isro() => Assert.Equal("rw", await SendAsync("isro"));

    [Fact]
    public async Task Srvr()
    {
        var text = await SendAsync("srvr");
        Assert.Matches(SrvrShape(), text);
        Assert.Contains("\nMode: standalone\n", text);
        var nodes = int.Parse(Regex.Match(text, @"\nNode count: (\d+)\n").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(nodes >= 4, $"Node count {nodes} includes /, /zookeeper, /zookeeper/quota and /zookeeper/config");
    }

    [Fact]
    public async Task Stat()
    {
        var text = await SendAsync("stat");
        // srvr's lines with a Clients: block (one line per connection, this one included, then a blank line)
        // after the version line.
        var match = Regex.Match(text, @"^(Zookeeper version: [^\n]+\n)Clients:\n((?: /[^\n]+\n)+)\n(.*)$", RegexOptions.Singleline);
        Assert.True(match.Success, $"stat shape:\n{text}");
        Assert.Matches(SrvrShape(), match.Groups[1].Value + match.Groups[3].Value);
        foreach (var line in match.Groups[2].Value.TrimEnd('\n').Split('\n'))
        {
            Assert.Matches(@"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)$", line);
        }
    }

    [Fact]
    public async Task Mntr()
    {
        var text = await SendAsync("mntr");
        Assert.EndsWith("\n", text);
        var values = new Dictionary<string, string>();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            // Keys may carry path names (Apache ZooKeeper's per-namespace metrics), so only the prefix and the tab are fixed.
            Assert.Matches(@"^zk_[^\t]+\t[^\t]*$", line);
            var parts = line.Split('\t');
            values[parts[0]] = parts[1];
        }

        Assert.Equal("standalone", values["zk_server_state"]);
        Assert.False(string.IsNullOrWhiteSpace(values["zk_version"]));
        foreach (var key in new[]
        {
            "zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received", "zk_packets_sent",
            "zk_num_alive_connections", "zk_outstanding_requests", "zk_znode_count", "zk_watch_count",
            "zk_ephemerals_count", "zk_approximate_data_size", "zk_open_file_descriptor_count",
            "zk_max_file_descriptor_count",
        })
        {
            Assert.True(values.ContainsKey(key), $"mntr lacks {key}:\n{text}");
            Assert.True(double.TryParse(values[key], System.Globalization.CultureInfo.InvariantCulture, out _), $"{key} is a number: '{values[key]}'");
        }

        Assert.True(long.Parse(values["zk_znode_count"], System.Globalization.CultureInfo.InvariantCulture) >= 4);
        Assert.True(long.Parse(values["zk_num_alive_connections"], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Conf()
    {
        var text = await SendAsync("conf");
        var values = KeyValues(text);
        Assert.Equal(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), values["clientPort"]);
        Assert.Equal("2000", values["tickTime"]);
        Assert.Equal("4000", values["minSessionTimeout"]);
        Assert.Equal("40000", values["maxSessionTimeout"]);
        foreach (var key in new[] { "dataDir", "dataLogDir", "maxClientCnxns", "serverId" })
        {
            Assert.True(values.ContainsKey(key), $"conf lacks {key}:\n{text}");
        }
    }

    [Fact]
    public async Task Envi()
    {
        var text = await SendAsync("envi");
        Assert.StartsWith("Environment:\n", text);
        var values = KeyValues(text["Environment:\n".Length..]);
        foreach (var key in new[] { "zookeeper.version", "host.name", "os.name", "os.arch", "os.version", "user.name", "user.dir" })
        {
            Assert.True(values.ContainsKey(key), $"envi lacks {key}:\n{text}");
        }
    }

    [Fact]
    public async Task Cons()
    {
        var text = await SendAsync("cons");
        // One line per connection (this one included), then a blank line.
        Assert.EndsWith("\n\n", text);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.Matches(@"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+(,sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x-?[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=[\d.]+,maxlat=\d+)?\)$", line);
        }
    }

    [Fact]
    public async Task Wchs() =>
        Assert.Matches(@"^\d+ connections watching \d+ paths\nTotal watches:\d+\n$", await SendAsync("wchs"));

    [Fact]
    public async Task UnknownWordClosesTheConnectionAndTheServerCarriesOn()
    {
        // "abcd" read as a frame length is far above jute.maxbuffer: the connection is dropped, nothing is written.
        Assert.Equal("", await SendAsync("abcd"));
        Assert.Equal("imok", await SendAsync("ruok"));
    }

    [GeneratedRegex(@"^Zookeeper version: [^\n]+\nLatency min/avg/max: \d+/[\d.]+/\d+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: \d+\nZxid: 0x[0-9a-f]+\nMode: \w+\nNode count: \d+\n$")]
    private static partial Regex SrvrShape();

    private static Dictionary<string, string> KeyValues(string text)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            Assert.Matches(@"^[\w.]+=", line);
            var at = line.IndexOf('=', StringComparison.Ordinal);
            values[line[..at]] = line[(at + 1)..];
        }

        return values;
    }

    private async Task<string> SendAsync(string word)
    {
        var text = await ZooKeeperWire.FourLetterWordAsync(server.Port, word);
        output.WriteLine($"{word} -> {text}");
        return text;
    }
}

[Collection(SiloCollection.Name)]
public sealed class FourLetterWordsOnSilo(SiloServer server, ITestOutputHelper output) : FourLetterWordTests(server, output);

[Collection(ApacheZooKeeperCollection.Name)]
public sealed class FourLetterWordsOnApacheZooKeeper(ApacheZooKeeperServer server, ITestOutputHelper output) : FourLetterWordTests(server, output);
