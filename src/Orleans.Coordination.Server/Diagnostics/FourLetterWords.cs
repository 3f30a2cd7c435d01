using System.Globalization;
using System.Text;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server.Diagnostics;

/// <summary>Four-letter-word answers, in the text formats ZooKeeper's tools and scripts parse. Apply thread only.</summary>
public static class FourLetterWords
{
    /// <summary>What this silo reports as its ZooKeeper-compatible version.</summary>
    public const string Version = "3.9.4-orleans-coordination";

    private static readonly string BuildDate = "2026-11-22 00:00 UTC";

    public static bool IsEnabled(IReadOnlyList<string> whitelist, string word) =>
        whitelist.Contains("*") || whitelist.Contains(word);

    /// <summary>The answer to <paramref name="word"/> sent on <paramref name="requester"/>'s fresh connection.</summary>
    public static string Answer(SiloCore core, string word, Network.ClientConnection? requester = null)
    {
        if (!IsEnabled(core.Options.FourLetterWords, word))
        {
            return $"{word} is not executed because it is not in the whitelist.\n";
        }

        return AnswerUnrestricted(core, word, requester);
    }

    /// <summary>
    /// The answer regardless of the client-port whitelist (for the admin endpoint). As in ZooKeeper, the
    /// connection that asked is itself listed by stat and cons and counted by srvr.
    /// </summary>
    /// <param name="core">The silo.</param>
    /// <param name="word">The four-letter word.</param>
    /// <param name="requester">The connection that asked, if it came over the client port.</param>
    /// <param name="requireServing">
    /// As ZooKeeper's client port: while the silo does not serve (looking, synchronising with a leader, storage failed)
    /// every word but ruok, envi, gtmk and stmk answers <see cref="NotServing"/>, and isro answers "null". The admin
    /// endpoint passes false for mntr, as ZooKeeper's AdminServer answers monitor without a running server.
    /// </param>
    public static string AnswerUnrestricted(SiloCore core, string word, Network.ClientConnection? requester = null, bool requireServing = true)
    {
        if (requireServing && !core.IsServing)
        {
            switch (word)
            {
                case "ruok" or "envi" or "gtmk" or "stmk":
                    break;
                case "isro":
                    return "null";
                default:
                    return NotServing;
            }
        }

        return word switch
        {
            "ruok" => "imok",
            "isro" => "rw",
            "srvr" => Srvr(core, withClients: false, requester),
            "stat" => Srvr(core, withClients: true, requester),
            "conf" => Conf(core),
            "cons" => Cons(core, requester),
            "envi" => Envi(core),
            "mntr" => Mntr(core, requester),
            "wchs" => Wchs(core),
            "wchc" => Wchc(core),
            "wchp" => Wchp(core),
            "dump" => Dump(core),
            "crst" => ResetConnections(core),
            "srst" => ResetServer(core),
            "gtmk" or "stmk" => "0\n",
            "dirs" => Dirs(core),
            "hash" => $"Digest in Data Tree:\n{core.Tree.LastZxid:x}: {core.Tree.Digest}\n",
            _ => $"{word} is not executed because it is not in the whitelist.\n",
        };
    }

    /// <summary>ZooKeeper's answer while it does not serve, word for word (scripts match it).</summary>
    public const string NotServing = "This ZooKeeper instance is not currently serving requests\n";

    /// <summary>
    /// ZooKeeper's detailed peer state as mntr's zk_peer_state prints it: "leading - broadcast",
    /// "following - synchronization", "looking"; "standalone" for a silo without an ensemble.
    /// </summary>
    public static string PeerState(Quorum.ReplicationView view) => view.Mode switch
    {
        "standalone" => "standalone",
        "looking" => "looking",
        var mode => $"{PeerStateName(mode)} - {ZabPhase(view)}",
    };

    /// <summary>The Zab phase as ZooKeeper's zabstate names it: election, synchronization or broadcast; "" standalone.</summary>
    public static string ZabPhase(Quorum.ReplicationView view) => view.Mode switch
    {
        "standalone" => "",
        "looking" => "election",
        _ => view.IsServing ? "broadcast" : "synchronization",
    };

    private static string PeerStateName(string mode) => mode switch
    {
        "leader" => "leading",
        "follower" => "following",
        "observer" => "observing",
        _ => mode,
    };

    private static string Srvr(SiloCore core, bool withClients, Network.ClientConnection? requester)
    {
        var s = core.Stats;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Zookeeper version: {Version}, built on {BuildDate}\n");
        if (withClients)
        {
            sb.Append("Clients:\n");
            foreach (var c in core.Connections)
            {
                sb.Append(CultureInfo.InvariantCulture, $" /{c.RemoteEndPoint}[1](queued={c.Pending.Count},recved={c.Stats.Received},sent={c.Stats.Sent})\n");
            }

            if (requester is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" /{requester.RemoteEndPoint}[0](queued=0,recved=1,sent=0)\n");
            }

            sb.Append('\n');
        }

        sb.Append(CultureInfo.InvariantCulture, $"Latency min/avg/max: {s.MinLatency}/{s.AvgLatency:0.####}/{s.MaxLatency}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Received: {s.Received}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Sent: {s.Sent}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Connections: {core.Connections.Count + (requester is null ? 0 : 1)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Outstanding: {core.Connections.Sum(c => c.Pending.Count)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Zxid: 0x{core.Tree.LastZxid:x}\n");
        var view = core.Replication;
        sb.Append(CultureInfo.InvariantCulture, $"Mode: {view.Mode}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Node count: {core.Tree.NodeCount}\n");
        if (view.Mode == "leader")
        {
            var (last, min, max) = core.Metrics.ProposalSizes;
            sb.Append(CultureInfo.InvariantCulture, $"Proposal sizes last/min/max: {last}/{min}/{max}\n");
        }

        return sb.ToString();
    }

    private static string Conf(SiloCore core)
    {
        var o = core.Options;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"clientPort={core.ClientPort}\n");
        sb.Append(CultureInfo.InvariantCulture, $"clientPortAddress={o.ClientAddress}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dataDir={Path.GetFullPath(o.DataDir)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dataLogDir={Path.GetFullPath(o.DataDir)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"tickTime={o.TickTime}\n");
        sb.Append(CultureInfo.InvariantCulture, $"maxClientCnxns={o.MaxClientCnxns}\n");
        sb.Append(CultureInfo.InvariantCulture, $"minSessionTimeout={o.EffectiveMinSessionTimeout}\n");
        sb.Append(CultureInfo.InvariantCulture, $"maxSessionTimeout={o.EffectiveMaxSessionTimeout}\n");
        sb.Append(CultureInfo.InvariantCulture, $"clientPortListenBacklog=-1\n");
        sb.Append(CultureInfo.InvariantCulture, $"serverId={o.ServerId}\n");
        return sb.ToString();
    }

    private static string Cons(SiloCore core, Network.ClientConnection? requester)
    {
        var sb = new StringBuilder();
        if (requester is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $" /{requester.RemoteEndPoint}[0](queued=0,recved=1,sent=0)\n");
        }

        foreach (var c in core.Connections)
        {
            var st = c.Stats;
            sb.Append(CultureInfo.InvariantCulture,
                $" /{c.RemoteEndPoint}[1](queued={c.Pending.Count},recved={st.Received},sent={st.Sent},sid=0x{c.SessionId:x},lop={st.LastOp},est={c.Established.ToUnixTimeMilliseconds()},to={c.SessionTimeout},lcxid=0x{st.LastCxid:x},lzxid=0x{st.LastZxid:x},lresp={st.LastResponseTime},llat={st.LastLatency},minlat={st.MinLatency},avglat={st.AvgLatency},maxlat={st.MaxLatency})\n");
        }

        sb.Append('\n');
        return sb.ToString();
    }

    private static string Envi(SiloCore core)
    {
        var sb = new StringBuilder("Environment:\n");
        sb.Append(CultureInfo.InvariantCulture, $"zookeeper.version={Version}, built on {BuildDate}\n");
        sb.Append(CultureInfo.InvariantCulture, $"host.name={Environment.MachineName}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dotnet.version={Environment.Version}\n");
        sb.Append(CultureInfo.InvariantCulture, $"os.name={System.Runtime.InteropServices.RuntimeInformation.OSDescription}\n");
        sb.Append(CultureInfo.InvariantCulture, $"os.arch={System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}\n");
        sb.Append(CultureInfo.InvariantCulture, $"os.version={Environment.OSVersion.Version}\n");
        sb.Append(CultureInfo.InvariantCulture, $"user.name={Environment.UserName}\n");
        sb.Append(CultureInfo.InvariantCulture, $"user.home={Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"processor.count={Environment.ProcessorCount}\n");
        sb.Append(CultureInfo.InvariantCulture, $"user.dir={Environment.CurrentDirectory}\n");
        sb.Append(CultureInfo.InvariantCulture, $"process.id={Environment.ProcessId}\n");
        sb.Append(CultureInfo.InvariantCulture, $"server.id={core.Options.ServerId}\n");
        return sb.ToString();
    }

    private static string Mntr(SiloCore core, Network.ClientConnection? requester)
    {
        var s = core.Stats;
        var t = core.Tree;
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var view = core.Replication;
        var lines = new List<(string Key, object Value)>
        {
            ("zk_version", $"{Version}, built on {BuildDate}"),
            ("zk_server_state", view.Mode),
            ("zk_avg_latency", s.AvgLatency.ToString("0.####", CultureInfo.InvariantCulture)),
            ("zk_max_latency", s.MaxLatency),
            ("zk_min_latency", s.MinLatency),
            ("zk_packets_received", s.Received),
            ("zk_packets_sent", s.Sent),
            ("zk_num_alive_connections", core.Connections.Count + (requester is null ? 0 : 1)),
            ("zk_outstanding_requests", core.Connections.Sum(c => c.Pending.Count)),
            ("zk_znode_count", t.NodeCount),
            ("zk_watch_count", t.Watches.Count),
            ("zk_ephemerals_count", t.EphemeralCount),
            ("zk_approximate_data_size", t.Nodes.Sum(n => (long)(n.Value.Data?.Length ?? 0) + n.Key.Length)),
            ("zk_open_file_descriptor_count", OpenFileDescriptors()),
            ("zk_max_file_descriptor_count", MaxFileDescriptors()),
            ("zk_global_sessions", t.Sessions.Count),
            ("zk_local_sessions", 0),
            ("zk_last_zxid", $"0x{t.LastZxid:x}"),
            ("zk_committed_txns", s.Committed),
            ("zk_expired_sessions", s.ExpiredSessions),
            ("zk_digest", t.Digest),
            ("zk_uptime", (long)(DateTime.Now - process.StartTime).TotalMilliseconds),
        };
        if (view.Mode != "standalone")
        {
            // What ZooKeeper's quorum servers add: the detailed peer state and the number of voters.
            lines.Add(("zk_peer_state", PeerState(view)));
            lines.Add(("zk_quorum_size", view.Peers.Count(p => p.Role == "voter") + 1));
        }

        if (view.Mode == "leader")
        {
            // Leader only, as in ZooKeeper. zk_followers is the 3.4 name of zk_learners; scripts still read it.
            var learners = view.Peers.Count(p => p.Phase.Length > 0);
            var (last, min, max) = core.Metrics.ProposalSizes;
            lines.Add(("zk_learners", learners));
            lines.Add(("zk_followers", learners));
            lines.Add(("zk_synced_followers", Math.Max(0, view.SyncedVoters - 1)));
            lines.Add(("zk_synced_observers", view.Peers.Count(p => p.Role == "observer" && p.Phase == "active")));
            lines.Add(("zk_last_proposal_size", last));
            lines.Add(("zk_min_proposal_size", min));
            lines.Add(("zk_max_proposal_size", max));
        }

        var sb = new StringBuilder();
        foreach (var (k, v) in lines)
        {
            sb.Append(k).Append('\t').Append(Convert.ToString(v, CultureInfo.InvariantCulture)).Append('\n');
        }

        return sb.ToString();
    }

    private static long OpenFileDescriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return System.Diagnostics.Process.GetCurrentProcess().HandleCount;
        }
        catch (UnauthorizedAccessException)
        {
            return System.Diagnostics.Process.GetCurrentProcess().HandleCount;
        }
    }

    private static long MaxFileDescriptors()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: >= 4 } && long.TryParse(fields[3], CultureInfo.InvariantCulture, out var max) ? max : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static string Wchs(SiloCore core)
    {
        var w = core.Tree.Watches;
        return $"{w.WatcherCount} connections watching {w.PathCount} paths\nTotal watches:{w.Count}\n";
    }

    private static string Wchc(SiloCore core)
    {
        var sb = new StringBuilder();
        foreach (var g in core.Tree.Watches.Entries().GroupBy(e => e.SessionId).OrderBy(g => g.Key))
        {
            sb.Append(CultureInfo.InvariantCulture, $"0x{g.Key:x}\n");
            foreach (var (_, path) in g.OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                sb.Append('\t').Append(path).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static string Wchp(SiloCore core)
    {
        var sb = new StringBuilder();
        foreach (var g in core.Tree.Watches.Entries().GroupBy(e => e.Path).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append(g.Key).Append('\n');
            foreach (var (sid, _) in g.OrderBy(e => e.SessionId))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\t0x{sid:x}\n");
            }
        }

        return sb.ToString();
    }

    private static string Dump(SiloCore core)
    {
        var sb = new StringBuilder("SessionTracker dump:\n");
        var sessions = core.SessionDeadlines.ToList();
        sb.Append(CultureInfo.InvariantCulture, $"Global Sessions({sessions.Count}):\n");
        foreach (var (id, timeout, _) in sessions.OrderBy(s => s.SessionId))
        {
            sb.Append(CultureInfo.InvariantCulture, $"0x{id:x}\t{timeout}ms\n");
        }

        var eph = core.Tree.AllEphemerals.ToList();
        sb.Append("ephemeral nodes dump:\n");
        sb.Append(CultureInfo.InvariantCulture, $"Sessions with Ephemerals ({eph.Count}):\n");
        foreach (var (sid, paths) in eph.OrderBy(e => e.Key))
        {
            sb.Append(CultureInfo.InvariantCulture, $"0x{sid:x}:\n");
            foreach (var p in paths.OrderBy(p => p, StringComparer.Ordinal))
            {
                sb.Append('\t').Append(p).Append('\n');
            }
        }

        sb.Append("Connections dump:\n");
        sb.Append(CultureInfo.InvariantCulture, $"Connections Sets ({core.Connections.Count}):\n");
        foreach (var c in core.Connections)
        {
            sb.Append(CultureInfo.InvariantCulture, $"0x{c.SessionId:x}\n");
        }

        return sb.ToString();
    }

    private static string ResetConnections(SiloCore core)
    {
        foreach (var c in core.Connections)
        {
            c.Stats.Reset();
        }

        return "Connection stats reset.\n";
    }

    private static string ResetServer(SiloCore core)
    {
        core.Stats.Reset();
        return "Server stats reset.\n";
    }

    private static string Dirs(SiloCore core)
    {
        var dir = new DirectoryInfo(core.Options.DataDir);
        var size = dir.Exists ? dir.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
        return $"datadir_size: {size}\nlogdir_size: {size}\n";
    }
}
