using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>
/// status: what <c>zkServer.sh status</c> shows, for every silo at once. Each server is asked <c>srvr</c> and
/// <c>mntr</c> on its client port (all at once); the table gives mode, zxid, lag behind the leader (behind the highest
/// zxid seen when no leader answers), connections, outstanding requests, znodes and watches, then a summary line with
/// the leader and how many followers it has in sync. Exit status 0 when every server serves and at most one of them
/// says it leads; 1 otherwise.
/// </summary>
internal static class StatusCommand
{
    internal sealed record ServerStatus(string Server)
    {
        public string Mode { get; set; } = "unreachable";

        public long? Zxid { get; set; }

        public long? Lag { get; set; }

        public long? Connections { get; set; }

        public long? Outstanding { get; set; }

        public long? Nodes { get; set; }

        public long? Watches { get; set; }

        public long? Sessions { get; set; }

        public string? Latency { get; set; }

        public string? Version { get; set; }

        /// <summary>mntr's zk_peer_state ("following - broadcast"); null standalone.</summary>
        public string? PeerState { get; set; }

        /// <summary>Leader only: mntr's zk_synced_followers and zk_quorum_size.</summary>
        public long? SyncedFollowers { get; set; }

        public long? QuorumSize { get; set; }

        public string? Error { get; set; }

        public bool Serving => Error is null && Zxid is not null;
    }

    public static async Task<int> RunAsync(string servers, bool json, int timeoutMs, TextWriter output, CancellationToken cancellationToken)
    {
        var names = servers.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new Shell.CliException("--servers names no server");
        }

        var timeout = TimeSpan.FromMilliseconds(Math.Max(1, timeoutMs));
        var results = await Task.WhenAll(names.Select(n => QueryAsync(n, timeout, cancellationToken)));
        var highest = results.Where(r => r.Zxid is not null).Select(r => r.Zxid!.Value).DefaultIfEmpty(0).Max();
        var leaders = results.Where(r => r.Serving && r.Mode == "leader").ToList();

        // Lag is measured against the leader (what followers must catch up to); without one, against the highest zxid.
        var reference = leaders.Count == 1 ? leaders[0].Zxid!.Value : highest;
        foreach (var r in results.Where(r => r.Zxid is not null))
        {
            // Lag in transactions within the reference epoch; a server still in an older epoch is behind by at least
            // every transaction of the newer one. A follower a moment ahead of the leader's answer counts as 0.
            r.Lag = (r.Zxid!.Value >> 32) == (reference >> 32)
                ? Math.Max(0, reference - r.Zxid.Value)
                : r.Zxid.Value > reference ? 0 : (reference & 0xffffffffL) + 1;
        }

        if (json)
        {
            WriteJson(results, highest, leaders, output);
        }
        else
        {
            WriteTable(results, highest, leaders, output);
        }

        // A follower serves only while its leader has a quorum, so "all serve" already says the ensemble is up; two
        // leaders answering means one of them has not yet noticed it lost its quorum.
        return results.All(r => r.Serving) && leaders.Count <= 1 ? 0 : 1;
    }

    internal static async Task<ServerStatus> QueryAsync(string server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var status = new ServerStatus(server);
        try
        {
            var (host, port) = FourLetterWordClient.ParseEndpoint(server, 2181);
            var srvr = await FourLetterWordClient.AskAsync(host, port, "srvr", timeout, cancellationToken);
            if (Problem(srvr, "srvr") is { } problem)
            {
                status.Mode = problem.Mode;
                status.Error = problem.Error;
                return status;
            }

            var fields = Fields(srvr, ':');
            status.Mode = fields.GetValueOrDefault("Mode") ?? "unknown";
            status.Zxid = Hex(fields.GetValueOrDefault("Zxid"));
            status.Connections = Number(fields.GetValueOrDefault("Connections"));
            status.Outstanding = Number(fields.GetValueOrDefault("Outstanding"));
            status.Nodes = Number(fields.GetValueOrDefault("Node count"));
            status.Latency = fields.GetValueOrDefault("Latency min/avg/max");
            status.Version = fields.GetValueOrDefault("Zookeeper version")?.Split(',')[0];

            // mntr adds what srvr lacks; a server that refuses it still gets a row from srvr.
            var mntr = await FourLetterWordClient.AskAsync(host, port, "mntr", timeout, cancellationToken);
            if (Problem(mntr, "mntr") is null)
            {
                var m = Fields(mntr, '\t');
                status.Watches = Number(m.GetValueOrDefault("zk_watch_count"));
                status.Sessions = Number(m.GetValueOrDefault("zk_global_sessions"));
                status.Nodes ??= Number(m.GetValueOrDefault("zk_znode_count"));
                status.PeerState = m.GetValueOrDefault("zk_peer_state");
                status.SyncedFollowers = Number(m.GetValueOrDefault("zk_synced_followers"));
                status.QuorumSize = Number(m.GetValueOrDefault("zk_quorum_size"));
            }

            if (status.Zxid is null)
            {
                status.Error = "srvr gave no Zxid";
            }
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            status.Mode = "unreachable";
            status.Error = e.Message;
        }
        catch (Shell.CliException e)
        {
            status.Mode = "invalid";
            status.Error = e.Message;
        }

        return status;
    }

    private static (string Mode, string Error)? Problem(string answer, string word)
    {
        var text = answer.Trim();
        if (text.Length == 0)
        {
            return ("unknown", $"empty answer to {word}");
        }

        if (text.Contains("not in the whitelist", StringComparison.Ordinal))
        {
            return ("unknown", $"{word} is not in the server's 4lw.commands.whitelist");
        }

        if (text.Contains("not currently serving requests", StringComparison.Ordinal))
        {
            return ("not serving", text);
        }

        return null;
    }

    private static Dictionary<string, string> Fields(string text, char separator)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var i = line.IndexOf(separator, StringComparison.Ordinal);
            if (i > 0)
            {
                fields.TryAdd(line[..i].Trim(), line[(i + 1)..].Trim());
            }
        }

        return fields;
    }

    private static long? Number(string? text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static long? Hex(string? text) =>
        text is not null && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static void WriteTable(ServerStatus[] results, long highest, List<ServerStatus> leaders, TextWriter output)
    {
        string[] header = ["SERVER", "MODE", "ZXID", "LAG", "CONNECTIONS", "OUTSTANDING", "NODES", "WATCHES", "LATENCY(min/avg/max)", "VERSION"];
        var rows = results.Select(r => new[]
        {
            r.Server, r.Mode, r.Zxid is { } z ? $"0x{z:x}" : "-", N(r.Lag), N(r.Connections), N(r.Outstanding), N(r.Nodes), N(r.Watches),
            r.Latency ?? "-", r.Error is null ? r.Version ?? "-" : "error: " + r.Error,
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        output.WriteLine(Row(header, widths));
        foreach (var row in rows)
        {
            output.WriteLine(Row(row, widths));
        }

        var serving = results.Count(r => r.Serving);
        var summary = new StringBuilder();
        summary.Append(CultureInfo.InvariantCulture, $"{results.Length} server(s), {serving} serving");
        if (serving > 0)
        {
            summary.Append(CultureInfo.InvariantCulture, $", highest zxid 0x{highest:x}");
        }

        if (leaders.Count > 0)
        {
            summary.Append(CultureInfo.InvariantCulture, $", leader {string.Join(", ", leaders.Select(l => l.Server))}");
        }

        if (leaders.Count == 1 && leaders[0].SyncedFollowers is { } synced)
        {
            var followers = leaders[0].QuorumSize is { } q ? $"{synced}/{q - 1}" : $"{synced}";
            summary.Append(CultureInfo.InvariantCulture, $" ({followers} voting followers in sync)");
        }

        output.WriteLine(summary.ToString());
        if (leaders.Count > 1)
        {
            output.WriteLine($"warning: {leaders.Count} servers say they lead; only one can have a quorum, the others are stale");
        }

        static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
    }

    private static string Row(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

    private static void WriteJson(ServerStatus[] results, long highest, List<ServerStatus> leaders, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("serverCount", results.Length);
            w.WriteNumber("servingCount", results.Count(r => r.Serving));
            w.WriteString("highestZxid", $"0x{highest:x}");
            WriteOptional(w, "leader", leaders.Count == 1 ? leaders[0].Server : null);
            w.WriteStartArray("servers");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("server", r.Server);
                w.WriteString("mode", r.Mode);
                w.WriteBoolean("serving", r.Serving);
                WriteOptional(w, "zxid", r.Zxid is { } z ? $"0x{z:x}" : null);
                WriteOptional(w, "lag", r.Lag);
                WriteOptional(w, "connections", r.Connections);
                WriteOptional(w, "outstanding", r.Outstanding);
                WriteOptional(w, "nodeCount", r.Nodes);
                WriteOptional(w, "watchCount", r.Watches);
                WriteOptional(w, "sessionCount", r.Sessions);
                WriteOptional(w, "latency", r.Latency);
                WriteOptional(w, "version", r.Version);
                WriteOptional(w, "peerState", r.PeerState);
                WriteOptional(w, "syncedFollowers", r.SyncedFollowers);
                WriteOptional(w, "quorumSize", r.QuorumSize);
                WriteOptional(w, "error", r.Error);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
